"""Destructive commands ask on a real terminal: the `mailer` program on a pseudo-terminal,
answered `n` (nothing happens) and `y` (it is done)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ptyrun import run_with_answer

from mailer import registry
from mailer.config import load_config
from mailer.models import SuppressionReason
from mailer.store import Store



def run_on_a_terminal(config: Path, args: list[str], answer: bytes) -> tuple[int, str]:
    return run_with_answer(config, *args, answer=answer.decode().strip())


@pytest.fixture
def suppressed(project: Path) -> Store:
    store = Store(load_config(project).storage.path)
    registry.add_subscriber(store, "anne@example.org", "Anne")
    registry.suppress(store, "anne@example.org", SuppressionReason.BOUNCE, source="dsn-1")
    return store


def test_erase_asks_and_no_leaves_everything(project: Path, suppressed: Store) -> None:
    code, output = run_on_a_terminal(project, ["erase", "Anne@Example.org"], b"n\n")
    assert "Erase anne@example.org: remove 4 record(s)" in output   # subscriber and its consent, suppression, its event
    assert code == 1 and "Aborted!" in output
    assert [s.email for s in registry.subscribers(suppressed.snapshot())] == ["anne@example.org"]
    assert registry.suppression_map(suppressed.snapshot())["anne@example.org"].reason == "bounce"


def test_erase_asks_and_yes_erases(project: Path, suppressed: Store) -> None:
    code, output = run_on_a_terminal(project, ["erase", "anne@example.org", "--by", "dpo"], b"y\n")
    assert code == 0 and "Erased anne@example.org: 4 record(s) deleted" in output
    assert registry.subscribers(suppressed.snapshot()) == []
    assert registry.suppression_map(suppressed.snapshot())["anne@example.org"].reason == "erased"


def test_suppressions_remove_asks_and_no_keeps_the_suppression(project: Path, suppressed: Store) -> None:
    code, output = run_on_a_terminal(project, ["suppressions", "remove", "anne@example.org"], b"n\n")
    assert "anne@example.org is suppressed (bounce, all, since " in output and "Re-enable it" in output
    assert code == 1 and "Aborted!" in output
    assert "anne@example.org" in registry.suppression_map(suppressed.snapshot())


def test_suppressions_remove_asks_and_yes_lifts_it(project: Path, suppressed: Store) -> None:
    code, output = run_on_a_terminal(project, ["suppressions", "remove", "anne@example.org", "--by", "claire"], b"y\n")
    assert code == 0 and "Re-enabled anne@example.org" in output
    assert registry.suppression_map(suppressed.snapshot()) == {}
    assert registry.suppression_events(suppressed.snapshot())[-1]["by"] == "claire"
