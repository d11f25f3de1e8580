#!/usr/bin/env python3
"""Score the inbound reading on a French corpus folder.

Usage: python scripts/score_fr.py FOLDER [--repeat N] [--show-misses]

FOLDER holds *.eml, expected.jsonl (the `mailer parse --json` format without rule/disposition) and
groups.csv, dossiers.csv, members.csv. Prints kind accuracy; for reports dossier, group, the action
type multiset and each action field (count, amount, date: actions paired by type); for sign-ups
name, group, dossier; for unsubscribes scope; then messages per second, parse + read, end to end
from bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailer.inbound.understand.classify import ReadingContext, read_message  # noqa: E402
from mailer.inbound.mime.parse import parse_message  # noqa: E402
from mailer.models import Directory, Dossier, Group, Member  # noqa: E402


def load_directory(folder: Path) -> Directory:
    def rows(name: str) -> list[dict[str, str]]:
        with open(folder / name, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    groups = tuple(Group(r["code"], r["name"], r["kind"], r.get("city", ""), r.get("email", "").lower())
                   for r in rows("groups.csv"))
    dossiers = tuple(Dossier(r["ref"], r["person"], r["country"], r["status"], r.get("referent_email", ""),
                             [g for g in r.get("groups", "").split(";") if g]) for r in rows("dossiers.csv"))
    members = tuple(Member(r["email"].lower(), r.get("name", ""), r.get("group", "")) for r in rows("members.csv"))
    return Directory(groups, dossiers, members)


def load_expected(folder: Path) -> dict[str, dict]:
    with open(folder / "expected.jsonl", encoding="utf-8") as f:
        return {row["file"]: row for row in map(json.loads, filter(str.strip, f))}


def _pair(expected: list[dict], got: list[dict]) -> list[tuple[dict, dict | None]]:
    """Pair each expected action with the best unused got action of the same type."""
    pool = list(got)
    pairs = []
    for e in expected:
        same = [g for g in pool if g["type"] == e["type"]]
        if not same:
            pairs.append((e, None))
            continue
        best = max(same, key=lambda g: sum(g[k] == e[k] for k in ("count", "amount_eur", "date")))
        pool.remove(best)
        pairs.append((e, best))
    return pairs


class Score:
    def __init__(self) -> None:
        self.hits: dict[str, int] = Counter()
        self.totals: dict[str, int] = Counter()
        self.misses: dict[str, list[str]] = defaultdict(list)

    def check(self, field: str, file: str, expected: object, got: object) -> None:
        self.totals[field] += 1
        if expected == got:
            self.hits[field] += 1
        else:
            self.misses[field].append(f"{file}: expected {expected!r}, got {got!r}")

    def line(self, field: str) -> str:
        total = self.totals[field]
        return f"{field:<26} {self.hits[field]:>4}/{total:<4} {100 * self.hits[field] / total:6.1f}%" if total else \
            f"{field:<26}    -"


def score(folder: Path, repeat: int = 1) -> tuple[Score, float, int]:
    directory = load_directory(folder)
    expected = load_expected(folder)
    context = ReadingContext(team_address="protegeonslespersonnes@example.org")
    raws = {name: (folder / name).read_bytes() for name in sorted(expected)}
    results = {}
    started = time.perf_counter()
    for _ in range(repeat):
        for name, raw in raws.items():
            results[name] = read_message(parse_message(raw), directory, context).to_json()
    elapsed = time.perf_counter() - started
    s = Score()
    for name, exp in expected.items():
        got = results[name]
        s.check("kind", name, exp["kind"], got["kind"])
        s.check("sender", name, exp["sender"], got["sender"])
        same_kind = got["kind"] == exp["kind"]
        if exp["kind"] == "report":
            s.check("report.dossier", name, exp["dossier"], got.get("dossier") if same_kind else "(kind)")
            s.check("report.group", name, exp["group"], got.get("group") if same_kind else "(kind)")
            got_actions = got.get("actions", []) if same_kind else []
            s.check("report.action_types", name, sorted(a["type"] for a in exp["actions"]),
                    sorted(a["type"] for a in got_actions))
            key = lambda a: json.dumps(a, sort_keys=True)  # noqa: E731
            s.check("report.actions_exact", name, sorted(map(key, exp["actions"])), sorted(map(key, got_actions)))
            for e, g in _pair(exp["actions"], got_actions):
                for field in ("count", "amount_eur", "date"):
                    s.check(f"report.action.{field}", f"{name} {e['type']}", e[field],
                            g[field] if g else "(missing)")
        elif exp["kind"] == "signup":
            for field in ("name", "group", "dossier"):
                s.check(f"signup.{field}", name, exp[field], got.get(field) if same_kind else "(kind)")
        elif exp["kind"] == "unsubscribe":
            s.check("unsubscribe.scope", name, exp["scope"], got.get("scope") if same_kind else "(kind)")
        elif exp["kind"] == "bounce":
            s.check("bounce.recipients", name, sorted(exp.get("recipients") or []),
                    sorted(got.get("recipients") or []) if same_kind else "(kind)")
    return s, elapsed, len(raws) * repeat


FIELDS = ("kind", "sender", "report.dossier", "report.group", "report.action_types", "report.action.count",
          "report.action.amount_eur", "report.action.date", "report.actions_exact", "signup.name", "signup.group",
          "signup.dossier", "unsubscribe.scope", "bounce.recipients")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="read the corpus N times for the msg/s figure")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    s, elapsed, count = score(args.folder, args.repeat)
    print(f"corpus: {args.folder}")
    for field in FIELDS:
        if s.totals[field]:
            print(s.line(field))
    print(f"{'speed':<26} {count / elapsed:,.0f} msg/s ({1000 * elapsed / count:.2f} ms/msg, parse + read,"
          f" first read included)")
    if args.show_misses:
        for field in FIELDS:
            for miss in s.misses.get(field, []):
                print(f"  MISS {field}: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
