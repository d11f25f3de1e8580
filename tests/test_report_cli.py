"""Issue 10: `mailer report`: actions per dossier, per group and per type, the aid fund per group
and year, the groups gone quiet; `--csv` writes the sheet whose columns README.md fixes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_figures import _import_examples, _record, act, report

from mailer.reporting import SHEET_COLUMNS

REPO = Path(__file__).resolve().parent.parent
UNTIL = "2026-12-01"


@pytest.fixture
def recorded(project: Path, cli: Callable[..., Any]) -> Path:
    """The examples' directory (G021, G088, J004 on DI-2025-027; G046, C007 on DI-2024-011; G046
    on the suspended DI-2023-005; G021 on the closed DI-2022-019) and five reports, one deleted."""
    store = _import_examples(cli, project)
    _record(store,
            report(1, "2025-11-20T10:00:00+00:00", "G021", "DI-2025-027", act("letter_authorities", 12),
                   act("fund", amount=40)),
            report(2, "2026-02-10T10:00:00+00:00", "G046", "DI-2024-011", act("petition", 300),
                   act("fund", amount=62.5), act("awareness", 1, day="2026-02-07")),
            report(3, "2026-11-20T10:00:00+00:00", "G088", "DI-2025-027", act("advocacy", 2), act("collaboration"),
                   act("fund", amount=100)),
            report(4, "2026-11-25T10:00:00+00:00", "G046", "DI-2024-011", act("letter_support", 8),
                   act("letter_authorities", None)),
            report(5, "2026-11-26T10:00:00+00:00", "J004", "DI-2025-027", act("petition", 999), state="deleted"))
    return project


def _json(cli: Callable[..., Any], project: Path, *args: str) -> dict[str, Any]:
    result = cli(project, "report", "--until", UNTIL, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_actions_per_dossier_group_and_type_and_the_fund_per_group_and_year(recorded: Path,
                                                                           cli: Callable[..., Any]) -> None:
    done = _json(cli, recorded)
    t = done["total"]
    assert (t["reports"], t["actions"], t["letters"], t["signatures"], t["officials"], t["events"],
            t["collaborations"], t["fund_eur"]) == (4, 10, 20, 300, 2, 1, 1, 202.5)
    assert {d["dossier"]: (d["reports"], d["letters"], d["fund_eur"]) for d in done["dossiers"]} == {
        "DI-2024-011": (2, 8, 62.5), "DI-2025-027": (2, 12, 140)}
    assert {g["group"]: (g["label"], g["actions"]) for g in done["groups"]} == {
        "G021": ("Groupe 21 de Rennes", 2), "G046": ("Groupe 46 de Bordeaux", 5), "G088": ("Groupe 88 de Grenoble", 3)}
    assert t["by_type"]["letter_authorities"] == {"actions": 2, "count": 12, "amount_eur": 0}   # one count not given
    assert [(f["group"], f["year"], f["amount_eur"]) for f in done["fund"]] == [
        ("G021", 2025, 40), ("G046", 2026, 62.5), ("G088", 2026, 100)]

    year = _json(cli, recorded, "--since", "01/01/2026")                 # French day order too
    assert (year["total"]["reports"], year["since"]) == (3, "2026-01-01")
    assert [(f["group"], f["year"]) for f in year["fund"]] == [("G046", 2026), ("G088", 2026)]
    feb = _json(cli, recorded, "--since", "2026-02-08", "--until", "2026-02-28")
    assert feb["total"]["by_type"].keys() == {"petition", "fund"}       # the stand was on the 7th
    one = _json(cli, recorded, "--dossier", "di-2024-011")
    assert [d["dossier"] for d in one["dossiers"]] == ["DI-2024-011"] and one["total"]["letters"] == 8
    group = _json(cli, recorded, "--group", "g088")
    assert [g["group"] for g in group["groups"]] == ["G088"] and group["total"]["officials"] == 2


def test_groups_gone_quiet_are_entrusted_with_an_active_dossier_and_silent_for_90_days(
        recorded: Path, cli: Callable[..., Any]) -> None:
    quiet = {q["group"]: q for q in _json(cli, recorded)["quiet"]}
    # G021 last reported a year ago; J004's only report was deleted; C007 never reported.
    # G088 and G046 reported this month; G021's closed dossier and G046's suspended one do not count.
    assert set(quiet) == {"G021", "J004", "C007"}
    assert (quiet["G021"]["last_report"], quiet["G021"]["days"], quiet["G021"]["dossiers"]) == (
        "2025-11-20", 376, ["DI-2025-027"])
    assert quiet["C007"]["last_report"] is None and quiet["C007"]["dossiers"] == ["DI-2024-011"]
    assert quiet["C007"]["email"] == "cercle.dijon@example.com"
    assert _json(cli, recorded, "--quiet-days", "400")["quiet_days"] == 400
    assert {q["group"] for q in _json(cli, recorded, "--quiet-days", "400")["quiet"]} == {"J004", "C007"}
    # as of the day before G046's first report, it had never reported: quiet then
    earlier = cli(recorded, "report", "--until", "2026-02-09", "--json")
    assert "G046" in {q["group"] for q in json.loads(earlier.output)["quiet"]}
    assert {q["group"] for q in _json(cli, recorded, "--dossier", "DI-2024-011")["quiet"]} == {"C007"}


def test_the_text_report_reads_at_80_columns(recorded: Path, cli: Callable[..., Any]) -> None:
    result = cli(recorded, "report", "--until", UNTIL)
    assert result.exit_code == 0, result.output
    for heading in ("Per dossier (2)", "Per group (3)", "Per type", "Fund per group and year", "Groups gone quiet (3)"):
        assert heading in result.output
    assert "62,50\u00a0€" in result.output and "never" in result.output
    assert max(len(line) for line in result.output.splitlines()[2:]) <= 80


def test_the_sheet_has_fixed_columns_one_row_per_dossier_group_type_and_year(recorded: Path, cli: Callable[..., Any],
                                                                            tmp_path: Path) -> None:
    out = tmp_path / "bilan.csv"
    result = cli(recorded, "report", "--until", UNTIL, "--csv", str(out))
    assert result.exit_code == 0 and "Wrote 10 rows" in result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and out.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0]) == ["dossier", "person", "group", "group_name", "type", "year", "reports", "actions", "count",
                             "amount_eur"] == list(SHEET_COLUMNS)
    by = {(r["dossier"], r["group"], r["type"], r["year"]): r for r in rows}
    assert by[("DI-2024-011", "G046", "petition", "2026")]["count"] == "300"
    assert by[("DI-2024-011", "G046", "fund", "2026")]["amount_eur"] == "62.50"
    assert by[("DI-2024-011", "G046", "letter_authorities", "2026")]["count"] == "0"      # reported, not counted
    assert by[("DI-2025-027", "G021", "fund", "2025")]["person"] == "Ibrahima Sow"
    assert not any(r["group"] == "J004" for r in rows)                                      # deleted

    french = cli(recorded, "report", "--until", UNTIL, "--csv", "-", "--labels", "fr", "--delimiter", "tab")
    lines = french.output_bytes.decode("utf-8-sig").splitlines()
    assert lines[0].split("\t") == list(SHEET_COLUMNS.values())
    assert any("Pétition" in line for line in lines) and any("62,50" in line for line in lines)


def test_options_that_cannot_mean_anything_are_refused(recorded: Path, cli: Callable[..., Any]) -> None:
    unknown = cli(recorded, "report", "--dossier", "DI-1999-001")
    assert unknown.exit_code == 1 and "no dossier 'DI-1999-001' in the store nor in any report" in unknown.output
    assert cli(recorded, "report", "--labels", "fr").exit_code == 2
    both = cli(recorded, "report", "--json", "--csv", "-")
    assert both.exit_code == 2 and "choose one" in both.output
    backwards = cli(recorded, "report", "--since", "2026-12-01", "--until", "2026-01-01")
    assert backwards.exit_code == 2 and "is after --until" in backwards.output
    assert cli(recorded, "report", "--quiet-days", "0").exit_code == 2
    nothing = cli(recorded, "report", "--since", "2020-01-01", "--until", "2020-12-31")
    assert nothing.exit_code == 0 and "No action recorded in this period." in nothing.output
