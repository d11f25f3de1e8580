"""`mailer parse`, `mailer triage`, `mailer reports` through the real CLI."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from inbound_fixtures import DATA, Inbox, fr_dev, inbox_fixture  # noqa: F401  (fixture)

FIELDS = {"signup": ("name", "group", "dossier"), "report": ("group", "dossier"), "unsubscribe": ("scope",),
          "bounce": ("recipients", "permanent")}


def _actions(rows: list[dict]) -> Counter:
    return Counter(json.dumps(a, sort_keys=True) for a in rows)


def test_parse_json_reproduces_fr_dev_expectations(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    files = sorted((DATA / "fr-dev").glob("*.eml"))
    result = cli(inbox.config_path, "parse", "--json", *map(str, files))
    assert result.exit_code == 0, result.output
    got = {row["file"]: row for row in map(json.loads, result.output.splitlines())}
    expected = [json.loads(line) for line in (DATA / "fr-dev" / "expected.jsonl").open(encoding="utf-8")]
    assert len(got) == len(expected) == 40
    for row in expected:
        mine = got[row["file"]]
        assert {"file", "kind", "sender", "rule", "disposition"} <= set(mine)
        assert (mine["kind"], mine["sender"]) == (row["kind"], row["sender"]), row["file"]
        for field in FIELDS.get(row["kind"], ()):
            assert mine[field] == row[field], (row["file"], field)
        if row["kind"] == "report":
            assert _actions(mine["actions"]) == _actions(row["actions"]), row["file"]
    assert Counter(r["disposition"] for r in got.values()) == {"apply": 23, "triage": 13, "ignore": 4}
    assert inbox.docs("inbound") == []                 # read-only


def test_parse_bounce_fields_and_readable_lines(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    bounce = DATA / "inbound" / "delay-warning-postfix.eml"
    row = json.loads(cli(inbox.config_path, "parse", "--json", str(bounce)).output)
    assert row["kind"] == "bounce" and row["permanent"] is False and row["recipients"]
    assert row["disposition"] == "triage"      # issue 8: no token or Message-ID of ours: not proven
    text = cli(inbox.config_path, "parse", str(DATA / "fr-dev" / "001.eml"), str(bounce)).output.splitlines()
    assert text[0].startswith("001.eml: unsubscribe from r.dufour@example.net (unsubscribe.text) -> apply")
    assert "permanent=false" in text[1]
    hostile = DATA / "inbound" / "hostile-many-parts.eml"
    row = json.loads(cli(inbox.config_path, "parse", "--json", str(hostile)).output)
    assert (row["kind"], row["disposition"]) == ("error", "error")


def test_triage_list_show_resolve(inbox: Inbox, cli) -> None:  # type: ignore[no-untyped-def]
    inbox.processor().process_batch([fr_dev("005.eml"), fr_dev("010.eml")])
    listed = [json.loads(line) for line in cli(inbox.config_path, "triage", "list", "--json").output.splitlines()]
    assert [r["sender"] for r in listed] == ["francoise.chabert@example.net", "m.roussel@example.net"]
    shown = cli(inbox.config_path, "triage", "show", str(listed[1]["id"]))
    assert "unknown sender" in shown.output and "message_id" in shown.output
    done = cli(inbox.config_path, "triage", "resolve", str(listed[1]["id"]), "--note", "ajouté comme membre")
    assert done.exit_code == 0 and "Resolved" in done.output
    still = [json.loads(line) for line in cli(inbox.config_path, "triage", "list", "--json").output.splitlines()]
    assert [r["id"] for r in still] == [listed[0]["id"]]
    everything = cli(inbox.config_path, "triage", "list", "--all", "--json").output.splitlines()
    assert any(json.loads(line)["note"] == "ajouté comme membre" for line in everything)
    missing = cli(inbox.config_path, "triage", "resolve", "999")
    assert missing.exit_code == 1 and "no triage item 999" in missing.output


def test_reports_list_and_csv(inbox: Inbox, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inbox.processor().process_batch([fr_dev("003.eml"), fr_dev("020.eml"), fr_dev("022.eml")])
    out = tmp_path / "reports.csv"
    result = cli(inbox.config_path, "reports", "list", "--csv", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:      # a BOM and ';', for French spreadsheets
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert list(rows[0]) == ["date", "dossier", "group", "sender", "type", "count", "amount_eur", "action_date",
                             "message_id"]
    assert len(rows) == 4 + 5 + 3
    assert {"dossier": "DI-2025-040", "type": "fund", "amount_eur": "520"}.items() <= \
        next(r for r in rows if r["type"] == "fund").items()
    lyon = [json.loads(line) for line in
            cli(inbox.config_path, "reports", "list", "--group", "G037", "--json").output.splitlines()]
    assert [r["dossier"] for r in lyon] == ["DI-2024-031"]
    table = cli(inbox.config_path, "reports", "list", "--dossier", "DI-2025-033").output
    assert "Reports (1)" in table and "DI-2025-033" in table and "214" in table
