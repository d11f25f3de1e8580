"""scripts/score_fr.py's issue-9 figures: what counts as an applied reading that is right."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "score_fr.py"
spec = importlib.util.spec_from_file_location("score_fr", SCRIPT)
score_fr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(score_fr)  # type: ignore[union-attr]

REPORT = {"kind": "report", "group": "G037", "dossier": "DI-2024-031",
          "actions": [{"type": "letter_authorities", "count": 12, "amount_eur": None, "date": None},
                      {"type": "petition", "count": 85, "amount_eur": None, "date": None}]}


def test_a_report_is_right_only_with_its_group_dossier_types_and_counts() -> None:
    assert score_fr.applied_right(REPORT, REPORT)
    assert not score_fr.applied_right(REPORT, {**REPORT, "group": "G058"})
    lost = {**REPORT, "actions": REPORT["actions"][1:]}               # the 12 letters lost
    assert not score_fr.applied_right(REPORT, lost)
    miscounted = {**REPORT, "actions": [REPORT["actions"][0], {**REPORT["actions"][1], "count": 1}]}
    assert not score_fr.applied_right(REPORT, miscounted)
    dated = {**REPORT, "actions": [{**a, "date": "2026-03-01"} for a in REPORT["actions"]]}
    assert score_fr.applied_right(REPORT, dated)                      # dates are not part of "right"


def test_outcomes_count_precision_f1_triage_and_ignored_real_mail() -> None:
    expected = {"1.eml": REPORT, "2.eml": REPORT, "3.eml": {"kind": "signup", "group": None, "dossier": None},
                "4.eml": {"kind": "auto_reply"}}
    got = {"1.eml": {**REPORT, "disposition": "apply"},
           "2.eml": {**REPORT, "actions": REPORT["actions"][1:], "disposition": "apply"},
           "3.eml": {"kind": "other", "disposition": "ignore"},
           "4.eml": {"kind": "auto_reply", "disposition": "ignore"}}
    figures, wrong = score_fr.outcomes(expected, got)
    assert figures["applied"] == 2 and figures["applied precision"] == 0.5
    assert figures["real messages ignored"] == 1 and figures["triage rate"] == 0
    assert round(figures["action-type F1"], 3) == round(2 * 3 / (2 * 3 + 0 + 1), 3)
    assert figures["action recall"] == 3 / 4
    assert figures["counts right"] == 3 / 4
    assert [w.split(":")[0] for w in wrong] == ["2.eml", "3.eml"]


def test_an_unsubscribe_triaged_beside_its_applied_suppression_counts_as_applied() -> None:
    # decide's also_applied: moving a mail to triage must not hide a wrong scope from the precision
    expected = {"1.eml": {"kind": "unsubscribe", "scope": "bulletin"}, "2.eml": {"kind": "unsubscribe", "scope": "all"}}
    got = {"1.eml": {"kind": "unsubscribe", "scope": "all", "disposition": "triage", "applied": True},
           "2.eml": {"kind": "unsubscribe", "scope": "all", "disposition": "triage", "applied": False}}
    figures, wrong = score_fr.outcomes(expected, got)
    assert figures["applied"] == 1 and figures["applied precision"] == 0.0 and figures["triage rate"] == 1.0
    assert [w.split(":")[0] for w in wrong] == ["1.eml"]
