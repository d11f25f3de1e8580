"""How production's reading of a bounces-dev message compares with the corpus's expectation.

One comparison for `tests/test_bounces.py` (which pins every file's outcome) and
`scripts/score_bounces.py` (which prints the figures), both through `read_message`, so neither
copies the rule chain. The corpus speaks of three kinds (its README): `bounce`, `auto_reply` and
`other`, where `other` is everything else (complaints, success notices, unsubscribe requests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailer.inbound.mime.parse import ParsedMessage, parse_message
from mailer.inbound.understand.bounces import detect_bounce
from mailer.inbound.understand.classify import Kind, Reading, ReadingContext, read_message
from mailer.models import Directory

TEAM = "protegeonslespersonnes@example.org"
PERMANENCE = {"permanent": True, "temporary": False, "mixed": None}   # "mixed": we answer None
FIELDS = ("kind", "recipients", "permanent")

Miss = tuple[Any, Any]                     # (what the corpus expects, what we read)


def read(parsed: ParsedMessage) -> Reading:
    """The service's reading of a corpus message: no directory, no tokens of ours."""
    return read_message(parsed, Directory(), ReadingContext(team_address=TEAM))


def read_file(corpus: Path, file: str) -> Reading:
    return read(parse_message((corpus / file).read_bytes()))


def corpus_kind(reading: Reading) -> str:
    return reading.kind.value if reading.kind in (Kind.BOUNCE, Kind.AUTO_REPLY) else "other"


def _recipients(row: dict[str, Any], got: list[str]) -> Miss | None:
    if row["recipients"] is not None:
        wanted = [sorted({a.lower() for a in row["recipients"]})]
        if row.get("recipients_alt"):
            wanted.append(sorted({a.lower() for a in row["recipients_alt"]}))
        return None if got in wanted else (wanted[0], got)
    if row["recipient_count"] is not None:
        return None if len(got) == row["recipient_count"] else (row["recipient_count"], got)
    return None


def misses(row: dict[str, Any], reading: Reading) -> dict[str, Miss]:
    """Each field the row states and the reading gets wrong -> (expected, got).

    Recipients compare as sets (or by number where the corpus only counts them) and permanence
    where the corpus states it, on bounce rows only."""
    out: dict[str, Miss] = {}
    if corpus_kind(reading) != row["kind"]:
        out["kind"] = (row["kind"], corpus_kind(reading))
    if row["kind"] != "bounce":
        return out
    bounce = reading.kind is Kind.BOUNCE
    got = sorted(set(reading.recipients)) if bounce else []
    if (miss := _recipients(row, got)) is not None:
        out["recipients"] = miss
    permanent = reading.permanent if bounce else "not a bounce"
    if row["permanence"] is not None and permanent != PERMANENCE[row["permanence"]]:
        out["permanent"] = (PERMANENCE[row["permanence"]], permanent)
    return out


def stated(row: dict[str, Any], field: str) -> bool:
    """Does the row state this field (so that it counts in a score)?"""
    if field == "kind":
        return True
    if row["kind"] != "bounce":
        return False
    if field == "recipients":
        return row["recipients"] is not None or row["recipient_count"] is not None
    return row["permanence"] is not None


def contradictory(parsed: ParsedMessage) -> bool:
    """`Action: failed` with a 4.x.x Status: permanence None by design, whatever the corpus says."""
    bounce = detect_bounce(parsed)
    return bounce is not None and any(f.action == "failed" and f.status.startswith("4") for f in bounce.failures)
