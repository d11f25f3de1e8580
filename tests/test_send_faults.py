"""What a send does when a message cannot be built: bad data fails that recipient, a bug stops the send.

The bug is injected into the worker processes (spawned, so a monkeypatch in this process does not
reach them) by a `sitecustomize` module on their PYTHONPATH that patches a function of the renderer.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import SmtpServer
from sending import audience_received, status, write_campaign

from mailer.config import load_config
from mailer.outbound.audience import read_audience
from mailer.outbound.journal import campaign_folder, read_journals

VICTIM = "abonne3@example.net"


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILER_CONFIG", raising=False)
    monkeypatch.delenv("MAILER_SECRET", raising=False)


def renderer_bug_in_workers(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Python started from now on raises RuntimeError when the renderer formats VICTIM's To:."""
    hook = folder / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(textwrap.dedent(f"""\
        import mailer.outbound.render as render
        _real = render.format_address

        def format_address(name, address):
            if address == {VICTIM!r}:
                raise RuntimeError("a bug in the renderer")
            return _real(name, address)

        render.format_address = format_address
        """), encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])))


def journal_of(config: Path, name: str):
    folder = campaign_folder(load_config(config).state_dir, name)
    frozen = read_audience(folder)
    assert frozen is not None
    index = {r.email: i for i, r in enumerate(frozen.recipients)}
    return index, read_journals(folder)


def test_a_renderer_bug_pauses_the_send_naming_it_and_fails_nobody(setup, smtp_server: SmtpServer, cli,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config, campaign = setup(30)
    renderer_bug_in_workers(tmp_path, monkeypatch)
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 4, result.output
    paused = status(cli, config, campaign)
    assert paused["state"] == "paused"
    assert paused["reason"] == "worker failed: RuntimeError: a bug in the renderer"
    assert paused["failed"] == 0 and paused["pending"] >= 1
    index, journal = journal_of(config, "bulletin-42")
    assert journal.failures == {} and index[VICTIM] not in journal.final
    assert VICTIM not in audience_received(smtp_server)

    monkeypatch.delenv("PYTHONPATH")                  # the bug fixed: the next send resumes
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    done = status(cli, config, campaign)
    assert (done["state"], done["sent"], done["failed"]) == ("done", 31, 0)
    received = audience_received(smtp_server)
    assert len(received) == len(set(received)) == 31 and VICTIM in received


def test_a_recipient_with_bad_data_still_gets_its_failure_line(setup, smtp_server: SmtpServer, cli) -> None:
    config, _ = setup(0)
    (config.parent / "liste.csv").write_text('email,name\nok@example.org,Ok\nevil@example.org,"Eve\r\nBcc: x@example.net"\n'
                                             "autre@example.org,Autre\n", encoding="utf-8")
    campaign = write_campaign(config.parent, name="csv", kind="custom", audience='"csv:liste.csv"')
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    assert sorted(audience_received(smtp_server)) == ["autre@example.org", "ok@example.org"]
    index, journal = journal_of(config, "csv")
    assert list(journal.failures) == [index["evil@example.org"]]
    assert journal.failures[index["evil@example.org"]].startswith("0 cannot build message: recipient name contains a line break")
    final = status(cli, config, campaign)
    assert (final["state"], final["sent"], final["failed"], final["pending"]) == ("done", 2, 1, 0)
