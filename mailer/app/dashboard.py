"""`mailer dashboard`: one self-contained HTML page for the coordinators, from the store and the
campaigns' journals: actions over time per dossier, which groups act on which dossier, campaign
delivery, the triage backlog, and the groups gone quiet.

Everything is inline (the SVG charts of charts.py, one <style>): no script, font or stylesheet
is fetched, so the page opens from a file, offline, on a phone. Names of groups and dossier refs
appear; no address, and no person at risk beyond the dossier's name the directory already shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..clock import parse_iso
from ..config import Config
from ..figures import Entry, Totals, entries, totals, within
from ..models import Directory
from ..outbound.delivery import Delivery, deliveries
from ..outbound.runner import CampaignService
from ..registry import load_directory
from ..reporting import QUIET_DAYS, QuietGroup, quiet_groups
from ..store import Store
from ..store.privatefiles import write_private_output
from ..store.records import TriageStatus
from ..store.schema import REPORTS, TRIAGE
from . import charts
from .dashboard_page import page

TOP_DOSSIERS = 8            # one colour each over time; the rest are "autres dossiers"
TOP_GROUPS = 15             # rows of the groups x dossiers chart
TOP_MATRIX_DOSSIERS = 10
LAST_CAMPAIGNS = 8
MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
AGES = (("moins d'un jour", 1), ("1 à 7 jours", 8), ("8 à 30 jours", 31), ("plus de 30 jours", None))
KINDS_FR = {"report": "Comptes rendus", "signup": "Inscriptions", "unsubscribe": "Désinscriptions",
            "confirm": "Confirmations", "bounce": "Non-remises", "complaint": "Plaintes",
            "auto_reply": "Réponses automatiques", "other": "Autres messages"}


@dataclass(frozen=True)
class Chart:
    title: str
    caption: str
    svg: str


@dataclass(frozen=True)
class Dashboard:
    team: str
    since: date
    until: date
    generated: datetime
    total: Totals
    charts: list[Chart]
    deliveries: list[Delivery]
    quiet: list[QuietGroup]
    quiet_days: int
    triage_open: int
    groups_active: int


def months_between(since: date, until: date) -> list[tuple[int, int]]:
    months, (y, m) = [], (since.year, since.month)
    while (y, m) <= (until.year, until.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _over_time(period: list[Entry], directory: Directory, since: date, until: date) -> Chart:
    months = months_between(since, until)
    index = {ym: i for i, ym in enumerate(months)}
    per: dict[str, list[int]] = {}
    for e in period:
        per.setdefault(e.dossier, [0] * len(months))[index[(e.day.year, e.day.month)]] += 1
    ranked = sorted(per, key=lambda ref: (-sum(per[ref]), ref))
    series = [(_dossier_name(directory, ref), per[ref]) for ref in ranked[:TOP_DOSSIERS]]
    rest = [sum(col) for col in zip(*(per[ref] for ref in ranked[TOP_DOSSIERS:]))] if ranked[TOP_DOSSIERS:] else []
    if rest:
        series.append((f"{len(ranked) - TOP_DOSSIERS} autres dossiers", rest))
    labels = [f"{MONTHS_FR[m - 1]} {y}" for y, m in months]
    shown = f"les {TOP_DOSSIERS} dossiers les plus actifs, puis les autres ensemble" if rest else "par dossier"
    return Chart("Actions au fil des mois", f"Actions rapportées par les groupes chaque mois, {shown}.",
                 charts.actions_over_time(labels, series))


def _groups_on_dossiers(period: list[Entry], directory: Directory) -> Chart:
    pairs: dict[tuple[str, str], int] = {}
    for e in period:
        if e.group and e.dossier:
            pairs[(e.group, e.dossier)] = pairs.get((e.group, e.dossier), 0) + 1
    by_group: dict[str, int] = {}
    by_dossier: dict[str, int] = {}
    for (g, d), n in pairs.items():
        by_group[g] = by_group.get(g, 0) + n
        by_dossier[d] = by_dossier.get(d, 0) + n
    dossiers = sorted(by_dossier, key=lambda d: (-by_dossier[d], d))[:TOP_MATRIX_DOSSIERS]
    groups = sorted(by_group, key=lambda g: (-by_group[g], g))[:TOP_GROUPS]
    rows = [(_group_name(directory, g), [pairs.get((g, d), 0) for d in dossiers]) for g in groups]
    caption = (f"Chaque point : les actions d'un groupe sur un dossier (les {len(groups)} groupes et "
               f"{len(dossiers)} dossiers les plus actifs sur {len(by_group)} groupes et {len(by_dossier)} dossiers).")
    return Chart("Quels groupes agissent sur quels dossiers", caption, charts.groups_on_dossiers(dossiers, rows))


def _delivery(rows: list[Delivery]) -> Chart:
    shown = list(reversed(rows[:LAST_CAMPAIGNS]))        # oldest at the top, as a timeline reads
    outcomes = [("Envoyés", [d.sent for d in shown]), ("Échecs", [d.failed for d in shown]),
                ("Non-remises", [d.bounced for d in shown]), ("Désinscriptions", [d.unsubscribed for d in shown])]
    return Chart("Envoi des campagnes", f"Les {len(shown)} dernières campagnes envoyées : messages remis au "
                 "serveur, refusés, revenus en non-remise, et destinataires partis ensuite.",
                 charts.campaign_delivery([d.name for d in shown], outcomes))


def _triage(store: Store, now: datetime) -> tuple[Chart, int]:
    counts: dict[str, list[int]] = {}
    for item in store.snapshot().table(TRIAGE):
        if item.status != TriageStatus.OPEN:
            continue
        received = parse_iso(item.date)
        waited = (now - received).days if received else 0
        slot = next(i for i, (_, below) in enumerate(AGES) if below is None or waited < below)
        counts.setdefault(item.kind or "other", [0] * len(AGES))[slot] += 1
    kinds = [(KINDS_FR.get(kind, kind), values) for kind, values in sorted(counts.items(), key=lambda kv: -sum(kv[1]))]
    total = sum(sum(v) for _, v in kinds)
    return Chart("À trier", f"{total} message(s) attendent une personne, selon depuis combien de temps "
                 "(mailer triage list).", charts.triage_backlog([a for a, _ in AGES], kinds)), total


def _dossier_name(directory: Directory, ref: str) -> str:
    found = directory.dossier(ref) if ref else None
    return f"{found.ref} {found.person}" if found else (ref or "sans dossier")


def _group_name(directory: Directory, code: str) -> str:
    found = directory.group(code)
    return found.name if found else code


def build(config: Config, store: Store, since: date, until: date, now: datetime,
          quiet_days: int = QUIET_DAYS) -> Dashboard:
    """Everything the page shows, read once from the store and the campaigns' folders."""
    snapshot = store.snapshot()
    directory = load_directory(snapshot)
    found = entries(snapshot.table(REPORTS), config.team.tz)
    period = within(found, since, until)
    triage_chart, open_items = _triage(store, now)
    sent = deliveries(CampaignService(config, store))
    shown = [_over_time(period, directory, since, until), _groups_on_dossiers(period, directory), _delivery(sent),
             triage_chart]
    return Dashboard(config.team.name, since, until, now, totals(period), shown, sent[:LAST_CAMPAIGNS],
                     quiet_groups(found, directory, until, quiet_days), quiet_days, open_items,
                     len({e.group for e in period if e.group}))


def default_since(until: date) -> date:
    """Twelve months, `until`'s included: 2026-12-02 -> 2026-01-01."""
    year, month = (until.year, 1) if until.month == 12 else (until.year - 1, until.month + 1)
    return date(year, month, 1)


def write(config: Config, store: Store, out: Path, since: date, until: date, now: datetime,
          quiet_days: int = QUIET_DAYS) -> Dashboard:
    dashboard = build(config, store, since, until, now, quiet_days)
    write_private_output(out, page(dashboard, config.team.tz).encode("utf-8"))
    return dashboard
