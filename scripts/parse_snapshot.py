#!/usr/bin/env python3
"""Every corpus's `mailer parse --json` and `parse_message` fields, to prove a speed change reads the same.

Usage: python scripts/parse_snapshot.py OUT [FOLDER...]

For each folder holding *.eml (default: every one under tests/data and /work/shared/corpus), a
throwaway project (the folder's groups, dossiers and members when it has them) runs `mailer parse
--json` over its messages; then each message's ParsedMessage fields (text, new text, headers,
parts, defects...) are written too. Run it on the base commit and on the change and compare
the two files byte for byte (`scripts/parse_diff.sh` does both).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import fields, is_dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from click.testing import CliRunner  # noqa: E402

from conftest import write_config  # noqa: E402
from mailer.cli import main as cli  # noqa: E402
from mailer.config import load_config  # noqa: E402
from mailer.inbound.mime.parse import MessageTooComplex, parse_message  # noqa: E402
from mailer.registry import import_file  # noqa: E402
from mailer.store import Store  # noqa: E402

SECRET_ENV = "MAILER_TEST_SECRET_UNSET"      # the throwaway config's key: fixed, so tokens read alike
DEFAULT_ROOTS = (REPO / "tests" / "data", Path("/work/shared/corpus"))


def folders(roots: list[Path]) -> list[tuple[str, Path]]:
    """(a name that does not depend on where the checkout is, folder) for each folder of .eml files."""
    found = {(f"{root.name}/{p.parent.relative_to(root)}", p.parent) for root in roots for p in root.rglob("*.eml")}
    return sorted(found)


def _plain(value: object) -> object:
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def parsed_fields(raw: bytes) -> dict[str, object]:
    try:
        parsed = parse_message(raw)
    except MessageTooComplex as exc:
        return {"too_complex": str(exc)}
    return {f.name: _plain(getattr(parsed, f.name)) for f in fields(parsed) if f.name not in ("raw", "message")}


def snapshot(name: str, folder: Path, out) -> None:  # noqa: ANN001
    emls = sorted(folder.glob("*.eml"))
    with tempfile.TemporaryDirectory(prefix="parse-snapshot-") as tmp:
        config_path = write_config(Path(tmp))
        if all((folder / f"{k}.csv").exists() for k in ("groups", "dossiers", "members")):
            store = Store(load_config(config_path).storage.path)
            for kind in ("groups", "dossiers", "members"):
                import_file(store, kind, folder / f"{kind}.csv")  # type: ignore[arg-type]
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            result = CliRunner().invoke(cli, ["--config", str(config_path), "parse", "--json",
                                              *map(str, emls)], catch_exceptions=False)
        finally:
            os.chdir(cwd)
    out.write(f"## {name} parse --json (exit {result.exit_code})\n")
    out.write(result.output)
    out.write(f"## {name} parse_message\n")
    for path in emls:
        out.write(json.dumps({"file": path.name, **parsed_fields(path.read_bytes())}, ensure_ascii=False,
                             sort_keys=True) + "\n")


def main() -> None:
    os.environ[SECRET_ENV] = "parse-snapshot-fixed-secret"
    out_path = Path(sys.argv[1])
    roots = [Path(a) for a in sys.argv[2:]] or list(DEFAULT_ROOTS)
    with out_path.open("w", encoding="utf-8") as out:
        for name, folder in folders(roots):
            snapshot(name, folder, out)


if __name__ == "__main__":
    main()
