"""The bulletin's draft: a campaign file and its Markdown, pre-filled from the store.   [pure]

`mailer bulletin draft` (drafting.py reads the store and writes the files). The Markdown holds
what the store knows since the last bulletin: dossiers whose status changed (releases and
acquittals first), the actions reported per dossier, the most active groups, the aid fund's
contributions, and `[À écrire : ...]` places for the coordinators' own words (`send` refuses a
bulletin that still has one).

Details about people at risk are never pulled in by default: a dossier is named and described
only through `dossiers.public_view` (the fields a coordinator marked public). A dossier with no
public field does not appear at all: its actions count in "nos autres dossiers", and the
command names it (ref only, on the coordinator's terminal) with the way to mark fields public.
Every value from the store is escaped as Markdown text (`escape_markdown`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import tomli_w

from ..dossiers import THANKED, public_view
from ..figures import Entry, Totals, french_euros, french_number, totals, within
from ..models import CampaignKind, Directory, Dossier, DossierOutcome, DossierStatus, code_key
from ..store.records import DossierEvent, DossierEventKind
from .markdown import escape_markdown as esc

PLACEHOLDER = "[À écrire"            # what `send` refuses to find in a bulletin's Markdown
TEMPLATE = "bulletin"
SUBJECT = "Bulletin{% if vars.get('issue_number') %} n° {{ vars.issue_number }}{% endif %} : des nouvelles de nos dossiers"
TOP_GROUPS = 5
MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre")


def day_fr(day: date) -> str:
    return f"{'1er' if day.day == 1 else day.day} {MOIS[day.month - 1]} {day.year}"


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of a shorter month)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    return date(year, month + 1, min(day.day, 28))


@dataclass(frozen=True)
class BulletinDraft:
    toml: str
    markdown: str
    left_out: tuple[str, ...]       # refs of dossiers with news or actions and no public field


def _plural(n: int | float, one: str, many: str) -> str:
    return f"{french_number(n)}\u00a0{one if n == 1 else many}"


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


def deeds(t: Totals) -> str:
    """"146 lettres, 1 320 signatures et 2 événements": what a total says, in French."""
    parts = []
    if t.letters:
        parts.append(_plural(t.letters, "lettre", "lettres"))
    if t.signatures:
        parts.append(_plural(t.signatures, "signature", "signatures"))
    if t.officials:
        parts.append(_plural(t.officials, "élu·e sollicité·e", "élu·es sollicité·es"))
    if t.events:
        parts.append(_plural(t.events, "événement", "événements"))
    if t.collaborations:
        parts.append(_plural(t.collaborations, "action avec des partenaires", "actions avec des partenaires"))
    if t.fund_eur:
        parts.append(f"{french_euros(t.fund_eur)} pour le Fonds d'aide")
    return _and(parts) if parts else _plural(t.actions, "action", "actions")


def title(view: dict[str, Any]) -> str:
    """How a dossier is named from its public fields only (escaped)."""
    person, ref, country = view.get("person"), view.get("ref"), view.get("country")
    name = esc(person) if person else (f"Dossier {esc(ref)}" if ref else "")
    if country:
        return f"{name} ({esc(country)})" if name else f"Un dossier : {esc(country)}"
    return name or "Un de nos dossiers"


def _news(dossier: Dossier, event: DossierEvent, directory: Directory) -> list[str]:
    view = public_view(dossier)
    told = []
    if "outcome" in view and event.outcome:
        told.append(DossierOutcome(event.outcome).label if event.outcome in set(DossierOutcome) else event.outcome)
    if "status" in view and event.status:
        told.append(f"dossier {DossierStatus(event.status).label}")
    when = date.fromisoformat(event.date) if event.date else None
    head = f"### {title(view)}" + (f" : {esc(', '.join(told))}" if told else "") + \
        (f" (le {day_fr(when)})" if when and told else "")
    lines = [head, ""]
    if view.get("summary"):
        lines += [esc(view["summary"]), ""]
    if view.get("groups"):
        names = [g.name if (g := directory.group(c)) else c for c in view["groups"]]
        lines += [f"Groupes : {esc(', '.join(names))}.", ""]
    lines += ["[À écrire : ce que cette nouvelle doit aux groupes, ses mots s'il nous en a fait parvenir.]", ""]
    return lines


def changed(events: Iterable[DossierEvent], since: date, until: date) -> list[DossierEvent]:
    """The last status event of each dossier in the period, releases and acquittals first."""
    last: dict[str, DossierEvent] = {}
    for event in sorted(events, key=lambda e: (e.date, e.recorded, e.id)):
        if event.kind == DossierEventKind.STATUS and event.date and since.isoformat() <= event.date <= until.isoformat():
            last[code_key(event.ref)] = event
    return sorted(last.values(), key=lambda e: (e.outcome not in THANKED, e.date, e.ref))


def compose(directory: Directory, events: Iterable[DossierEvent], found: Iterable[Entry], since: date,
            today: date, name: str, markdown_file: str, path: str, issue_number: int | None) -> BulletinDraft:
    """The campaign file (TOML) and its Markdown for the period `since`..`today` (inclusive)."""
    left_out: list[str] = []
    md = ["# Des nouvelles de nos dossiers", "", "## Éditorial", "",
          "[À écrire : le mot de l'équipe, en quelques paragraphes, et qui le signe.]", ""]
    news = []
    for event in changed(events, since, today):
        dossier = directory.dossier(event.ref)
        if dossier is None:
            continue
        if not public_view(dossier):
            left_out.append(dossier.ref)
            continue
        news += _news(dossier, event, directory)
    if news:
        md += ["## Nouvelles des dossiers", "", *news]
    period = within(found, since, today)
    md += _actions(directory, period, since, left_out)
    md += _groups(directory, period)
    md += _fund(directory, period, since)
    md += ["## Agenda", "", "[À écrire : les rendez-vous des prochains mois (date, lieu, quoi), ou retirez "
           "cette partie.]", ""]
    variables: dict[str, Any] = {"since": since.isoformat()}
    if issue_number is not None:
        variables["issue_number"] = issue_number
    header = [f"Bulletin préparé par `mailer bulletin draft` le {today.isoformat()}, pour la période depuis le "
              f"{since.isoformat()}.",
              f"Son texte est dans {markdown_file} (Markdown) : complétez chaque « [À écrire : ...] », relisez",
              "les chiffres, retirez ce qui ne doit pas paraître. N'y figurent que les champs publics des",
              "dossiers (mailer dossiers edit REF --public person,country,summary,outcome).",
              "Numéro du bulletin : vars.issue_number" + ("" if issue_number is not None else " (à ajouter)") + ".",
              f"  aperçu : mailer campaign preview {path}", f"  envoi :  mailer campaign send {path}"]
    fields = {"name": name, "kind": CampaignKind.BULLETIN.value, "subject": SUBJECT, "template": TEMPLATE,
              "audience": "subscribers", "markdown": markdown_file, "vars": variables}
    toml = "".join(f"# {line}\n" for line in header) + tomli_w.dumps(fields, multiline_strings=True)
    return BulletinDraft(toml, "\n".join(md).rstrip() + "\n", tuple(dict.fromkeys(left_out)))


def _actions(directory: Directory, period: list[Entry], since: date, left_out: list[str]) -> list[str]:
    md = [f"## Nos actions depuis le {day_fr(since)}", ""]
    if not period:
        return md + [f"Aucun compte rendu ne nous est parvenu depuis le {day_fr(since)}.", ""]
    overall = totals(period)
    groups = {e.group for e in period if e.group}
    md += [f"Depuis le {day_fr(since)}, {_plural(len(groups), 'groupe', 'groupes')} nous "
           f"{'a' if len(groups) == 1 else 'ont'} transmis {_plural(overall.reports, 'compte rendu', 'comptes rendus')}"
           f" : {deeds(overall)}. Merci à toutes et à tous !", ""]
    by_dossier: dict[str, list[Entry]] = {}
    for e in period:
        by_dossier.setdefault(e.dossier, []).append(e)
    others: list[Entry] = []
    lines = []
    for ref, found in sorted(by_dossier.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        dossier = directory.dossier(ref) if ref else None
        view = public_view(dossier) if dossier else {}
        if not view:
            others += found
            if dossier is not None:
                left_out.append(dossier.ref)
            continue
        count = len({e.group for e in found if e.group})
        lines.append(f"- **{title(view)}** : {deeds(totals(found))}"
                     + (f" ({_plural(count, 'groupe', 'groupes')})" if count else "") + ".")
    if others:
        lines.append(f"- Sur nos autres dossiers : {deeds(totals(others))}.")
    return md + lines + [""]


def _groups(directory: Directory, period: list[Entry]) -> list[str]:
    by_group: dict[str, list[Entry]] = {}
    for e in period:
        if e.group:
            by_group.setdefault(e.group, []).append(e)
    if not by_group:
        return []
    ranked = sorted(by_group.items(), key=lambda kv: (-len({e.report for e in kv[1]}), -len(kv[1]), kv[0]))
    md = ["## Les groupes les plus actifs", ""]
    for n, (code, found) in enumerate(ranked[:TOP_GROUPS], 1):
        group = directory.group(code)
        label = esc(group.name) + (f" ({esc(group.city)})" if group.city else "") if group else esc(code)
        t = totals(found)
        md.append(f"{n}. {label} : {_plural(t.reports, 'compte rendu', 'comptes rendus')}, {deeds(t)}.")
    return md + [""]


def _fund(directory: Directory, period: list[Entry], since: date) -> list[str]:
    md = ["## Le Fonds d'aide aux victimes et aux défenseurs", ""]
    gifts: dict[str, float] = {}
    for e in period:
        if e.type == "fund" and e.amount_eur:
            gifts[e.group] = gifts.get(e.group, 0.0) + e.amount_eur
    if gifts:
        names = [f"{esc(g.name) if (g := directory.group(code)) else esc(code or 'sans groupe')} "
                 f"({french_euros(amount)})" for code, amount in sorted(gifts.items(), key=lambda kv: (-kv[1], kv[0]))]
        total = sum(gifts.values())
        md.append(f"Depuis le {day_fr(since)}, {french_euros(total)} ont été versés au Fonds : {_and(names)}. Merci !")
    else:
        md.append(f"Aucune contribution au Fonds ne nous a été signalée depuis le {day_fr(since)}.")
    return md + ["", "[À écrire : ce que le Fonds a permis, et comment y prendre part.]", ""]
