"""Inbound messages for the service tests and the inbox benchmark: the corpora, made distinct on demand.

Human mail is French mail from tests/data/fr-dev (and fr-own); machine mail is the bounces and
auto-replies of tests/data/bounces-dev. `variant` rewrites the Message-ID (and numbers the message)
so that N copies are N distinct messages to the store, which keys them by their bytes' hash.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

from mailer.registry import import_file
from mailer.store import Store

DATA = Path(__file__).parent / "data"
FR_DEV = DATA / "fr-dev"
FR_OWN = DATA / "fr-own"
BOUNCES = DATA / "bounces-dev"
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def human_messages(*folders: Path) -> list[bytes]:
    return [p.read_bytes() for folder in (folders or (FR_DEV,)) for p in sorted(folder.glob("*.eml"))]


def machine_messages(kinds: tuple[str, ...] = ("bounce", "auto_reply")) -> list[bytes]:
    """Bounces and auto-replies the corpus labels as such (not its malformed MIME torture tests)."""
    rows = [json.loads(line) for line in (BOUNCES / "expectations.jsonl").open(encoding="utf-8")]
    return [(BOUNCES / r["file"]).read_bytes() for r in rows if r["kind"] in kinds and not r.get("malformed")]


def variant(raw: bytes, n: int) -> bytes:
    """The message with a Message-ID and a header of its own: distinct bytes, same meaning."""
    newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    tag = f"<variant-{n}.{zlib.crc32(raw)}@tests.invalid>".encode()
    found = MESSAGE_ID.search(raw.split(newline + newline, 1)[0])
    if found:
        return raw[:found.start(1)] + tag + raw[found.end(1):]
    return b"Message-ID: " + tag + newline + raw


def many(raws: list[bytes], count: int, start: int = 0) -> list[bytes]:
    """`count` distinct messages cycling over `raws`."""
    return [variant(raws[i % len(raws)], start + i) for i in range(count)]


def import_reference_data(store: Store, folder: Path = FR_DEV) -> None:
    """Groups, dossiers and members of a French corpus (groups first: the others refer to them)."""
    for kind in ("groups", "dossiers", "members"):
        import_file(store, kind, folder / f"{kind}.csv")   # type: ignore[arg-type]
