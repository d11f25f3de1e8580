"""Where the test corpora live (copied into tests/data so a fresh clone needs nothing else)."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data"
BOUNCES = DATA / "bounces-dev"
INBOUND = DATA / "inbound"
FR_DEV = DATA / "fr-dev"
ROWS = [json.loads(line) for line in (BOUNCES / "expectations.jsonl").open(encoding="utf-8")]
SEEN = DATA / "bounces-seen"          # issue 9: notices of servers the rules were not written on
SEEN_ROWS = [json.loads(line) for line in (SEEN / "expectations.jsonl").open(encoding="utf-8")]
