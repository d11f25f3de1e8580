#!/usr/bin/env bash
# Prove a change reads every corpus as BASE did: `mailer parse --json` and the parse_message fields
# of every .eml under tests/data and /work/shared/corpus, byte for byte (scripts/parse_snapshot.py).
#   bash scripts/parse_diff.sh [BASE]        (default BASE: 218f648, before the issue 9 speed work)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-218f648}
python=${PYTHON:-$repo/.venv/bin/python}
tmp=$(mktemp -d /tmp/parse-diff.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/base"
git -C "$repo" archive "$base" | tar -x -C "$tmp/base"
cp "$repo/scripts/parse_snapshot.py" "$tmp/base/scripts/"
# the base's own corpora under tests/data, so that both sides read the same files
"$python" "$tmp/base/scripts/parse_snapshot.py" "$tmp/before.txt" "$repo/tests/data" /work/shared/corpus
"$python" "$repo/scripts/parse_snapshot.py" "$tmp/after.txt" "$repo/tests/data" /work/shared/corpus
if cmp -s "$tmp/before.txt" "$tmp/after.txt"; then
    echo "parse_diff: identical ($(grep -c '^{' "$tmp/after.txt") lines, base $base)"
else
    diff "$tmp/before.txt" "$tmp/after.txt" | head -40
    echo "parse_diff: DIFFERENT from base $base" >&2
    exit 1
fi
