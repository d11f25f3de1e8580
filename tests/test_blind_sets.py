"""Issue 9 on the blind sets once they became development sets: what the service applies is right,
and no real message is ignored (tests/data/fr-blind-*/README.md says how they were written)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from score_fr import decided, load_expected, outcomes  # noqa: E402

SETS = sorted(p for p in (REPO / "tests" / "data").glob("fr-blind-*") if (p / "expected.jsonl").exists())


@pytest.mark.parametrize("folder", SETS, ids=lambda p: p.name)
def test_nothing_applied_is_wrong_and_no_real_message_is_ignored(folder: Path) -> None:
    expected = load_expected(folder)
    figures, wrong = outcomes(expected, decided(folder))
    assert wrong == []
    assert figures["applied"] >= len(expected) // 3       # not by applying nothing: a third or more applied
