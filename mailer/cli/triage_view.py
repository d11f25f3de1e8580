"""What `mailer triage show` prints below the item: its message, found again, and its reading as
the command that would apply it (the pre-filled answer)."""

from __future__ import annotations

import shlex
from typing import Any

from ..config import Config
from ..inbound.actionspec import action_of, spec_of
from ..inbound.mime.parse import MessageTooComplex, parse_message
from ..inbound.mime.view import view
from ..inbound.sources.lookup import find_message
from ..inbound.sources.source import SourceError

RULE = "-" * 72


def message_lines(config: Config, item: dict[str, Any], full: bool) -> list[str]:
    """The message from the triage folder, quoted parts folded (or all of it with `full`)."""
    try:
        found = find_message(config, "triage", str(item.get("key", "")), str(item.get("message_id", "")))
    except SourceError as exc:
        return [f"{'message':>10}: cannot be read now: {exc}"]
    if found.raw is None:
        return [f"{'message':>10}: gone from the {found.where} (purged by retention once resolved, or moved "
                "or deleted by hand); the store keeps no bodies: only the reading below is left"]
    try:
        parsed = parse_message(found.raw)
    except MessageTooComplex as exc:
        return [f"{'message':>10}: in the {found.where}, but too complex to show: {exc}"]
    shown = view(parsed, full)
    same = "" if found.exact else " (found by its Message-ID: its bytes differ from those read)"
    if full:
        fold = "quoted parts shown"
    elif shown.folded:
        fold = f"{shown.folded} quoted line{'s' if shown.folded > 1 else ''} folded: --full shows them"
    else:
        fold = "nothing quoted"
    lines = [f"{'message':>10}: in the {found.where}{same}", f"{RULE[:3]} message ({fold}) {RULE[:40]}"]
    lines += [f"{name}: {value}" for name, value in shown.headers if value]
    return [*lines, "", shown.text, RULE]


def _answer(item: dict[str, Any], reading: dict[str, Any]) -> str:
    kind, ident = reading.get("kind"), str(item["id"])
    if kind in ("signup", "unsubscribe"):
        return f"mailer triage accept {ident}"
    if kind in ("bounce", "complaint", "auto_reply", "confirm"):
        return f"mailer triage resolve {ident} --note ..."
    words = ["mailer", "triage", "apply", ident]
    for option in ("group", "dossier"):
        if reading.get(option):
            words += [f"--{option}", str(reading[option])]
    for action in reading.get("actions") or []:
        words += ["--action", spec_of(action_of(action))]
    if not reading.get("actions"):
        words += ["--action", "TYPE=COUNT"]
    return " ".join(shlex.quote(w) for w in words)


def reading_lines(item: dict[str, Any]) -> list[str]:
    reading = item.get("reading") or {"kind": item.get("kind"), "rule": item.get("rule")}
    lines = [f"{'reading':>10}: {reading.get('kind')} ({reading.get('rule')})"]
    for key in ("name", "group", "dossier", "scope"):
        if key in reading:
            lines.append(f"{key:>10}: {reading[key] if reading[key] is not None else '(not found)'}")
    for action in reading.get("actions") or []:
        lines.append(f"{'action':>10}: {spec_of(action_of(action))}")
    if item.get("status") == "open":
        lines.append(f"{'answer':>10}: {_answer(item, reading)}")
    return lines
