"""Every shipped example campaign, previewed by the real CLI, scores under 2.0 with SpamAssassin.

Runs the whole chain a newcomer runs (import the example CSVs, `campaign preview`) and scores the
`.eml` it writes with SpamAssassin's local rules only (`-L`: no network, so results are stable).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
CAMPAIGNS = sorted((REPO / "campaigns").glob("*.toml"))
THRESHOLD = 2.0
SPAMASSASSIN = shutil.which("spamassassin")

pytestmark = pytest.mark.skipif(SPAMASSASSIN is None,
                                reason="spamassassin is not installed (Debian package `spamassassin`)")

_STATUS = re.compile(rb"^X-Spam-Status: \w+, score=(-?\d+(?:\.\d+)?)", re.MULTILINE)


def spam_score(message: bytes, home: Path) -> tuple[float, str]:
    """(score, report) from `spamassassin -L -t`: local rules, report appended to the message.

    Bayes is off, no user prefs are created (`-x`) and HOME is a temp folder: SpamAssassin would
    otherwise auto-learn into ~/.spamassassin, and a score would depend on earlier runs.
    """
    assert SPAMASSASSIN is not None
    done = subprocess.run([SPAMASSASSIN, "-x", "-L", "-t", "--cf=use_bayes 0", "--cf=bayes_auto_learn 0"],
                          input=message, capture_output=True, timeout=300, check=False,
                          env={**os.environ, "HOME": str(home)})
    match = _STATUS.search(done.stdout)
    assert match, f"no X-Spam-Status in spamassassin's output: {done.stderr.decode(errors='replace')}"
    report = done.stdout.decode("utf-8", errors="replace").rpartition("Content analysis details:")[2]
    return float(match.group(1)), report


def test_examples_are_shipped() -> None:
    names = {p.name for p in CAMPAIGNS}
    assert {"alerte-exemple.toml", "rappel-exemple.toml", "bulletin-exemple.toml"} <= names
    for kind in ("groups", "dossiers", "members", "subscribers"):
        assert (EXAMPLES / f"{kind}.csv").is_file()


@pytest.mark.parametrize("campaign", CAMPAIGNS, ids=lambda p: p.stem)
def test_example_campaign_scores_under_threshold(project: Path, cli: Callable[..., object], tmp_path: Path,
                                                 campaign: Path) -> None:
    for kind in ("groups", "dossiers", "members", "subscribers"):
        result = cli(project, "import", kind, str(EXAMPLES / f"{kind}.csv"))
        assert result.exit_code == 0, f"import {kind}: {result.output}"  # type: ignore[attr-defined]

    out = tmp_path / "preview"
    result = cli(project, "campaign", "preview", str(campaign), "--out", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    emls = sorted(out.glob("*.eml"))
    assert emls, f"preview wrote no .eml into {out}"
    assert any(p.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html") for p in out.glob("*.html"))

    for eml in emls:
        score, report = spam_score(eml.read_bytes(), tmp_path)
        assert score < THRESHOLD, f"{campaign.name}: SpamAssassin score {score}\n{report}"
