"""The rule chain on golden corpora: fr-dev (given) and fr-own (written here, with other groups,
dossiers, people and countries, to show the rules are not tuned to fr-dev's names)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from corpora import BOUNCES, ROWS

from mailer.inbound.understand.classify import RULES, Kind, Reading, ReadingContext, classify, read_message
from mailer.inbound.understand.extract import Action, ActionType
from mailer.inbound.mime.parse import parse_message
from mailer.models import Directory, Dossier, Group, Member

DATA = Path(__file__).parent / "data"
CORPORA = ("fr-dev", "fr-own", "fr-lead")
TEAM = "protegeonslespersonnes@example.org"


def load_directory(folder: Path) -> Directory:
    """groups.csv, dossiers.csv, members.csv -> Directory (the importer's job; a plain reader here)."""
    def rows(name: str) -> list[dict[str, str]]:
        with open(folder / name, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    return Directory(
        tuple(Group(r["code"], r["name"], r["kind"], r["city"], r["email"].lower()) for r in rows("groups.csv")),
        tuple(Dossier(r["ref"], r["person"], r["country"], r["status"], r["referent_email"],
                      [g for g in r["groups"].split(";") if g]) for r in rows("dossiers.csv")),
        tuple(Member(r["email"].lower(), r["name"], r["group"]) for r in rows("members.csv")),
    )


def expectations(corpus: str) -> list[dict]:
    with open(DATA / corpus / "expected.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


_DIRECTORIES: dict[str, Directory] = {}


def directory(corpus: str) -> Directory:
    if corpus not in _DIRECTORIES:
        _DIRECTORIES[corpus] = load_directory(DATA / corpus)
    return _DIRECTORIES[corpus]


def read(corpus: str, file: str, context: ReadingContext | None = None) -> Reading:
    raw = (DATA / corpus / file).read_bytes()
    return read_message(parse_message(raw), directory(corpus), context or ReadingContext(team_address=TEAM))


CASES = [pytest.param(corpus, row, id=f"{corpus}/{row['file']}") for corpus in CORPORA for row in expectations(corpus)]


@pytest.mark.parametrize(("corpus", "expected"), CASES)
def test_corpus_message(corpus: str, expected: dict) -> None:
    got = read(corpus, expected["file"]).to_json()
    assert got["kind"] == expected["kind"], got["rule"]
    assert got["sender"] == expected["sender"]
    kind = expected["kind"]
    fields = {"signup": ("name", "group", "dossier"), "report": ("group", "dossier"),
              "unsubscribe": ("scope",)}.get(kind, ())
    for field in fields:
        assert got[field] == expected[field], field
    if kind == "report":
        key = lambda a: json.dumps(a, sort_keys=True)  # noqa: E731 - actions compared as a multiset
        assert Counter(map(key, got["actions"])) == Counter(map(key, expected["actions"]))


def test_own_corpus_is_about_other_names() -> None:
    """fr-own shares no group code, dossier ref, person or member with fr-dev."""
    dev, own = directory("fr-dev"), directory("fr-own")
    assert not {g.code for g in dev.groups} & {g.code for g in own.groups}
    assert not {d.ref for d in dev.dossiers} & {d.ref for d in own.dossiers}
    assert not {d.person for d in dev.dossiers} & {d.person for d in own.dossiers}
    assert not {m.email for m in dev.members} & {m.email for m in own.members}
    assert len(expectations("fr-own")) >= 20


def test_rules_are_an_ordered_table() -> None:
    assert [r.name for r in RULES] == ["bounce", "complaint", "delivery_notice", "auto_reply", "approval", "report_confirmed",
                                       "confirm",
                                       "unsubscribe", "newsletter", "form", "call", "bulletin", "signup", "report", "offer"]


def test_success_dsn_is_a_delivery_notice_not_an_auto_reply() -> None:
    """A successful-delivery DSN carries Auto-Submitted (RFC 3834) yet is no out-of-office: bounces-dev's
    dsn_delivered samples are all `other`, and the one with Auto-Submitted says why."""
    rows = [row for row in ROWS if row["subkind"] == "dsn_delivered"]
    assert rows
    for row in rows:
        parsed = parse_message((BOUNCES / row["file"]).read_bytes())
        assert classify(parsed, Directory())[0] is Kind.OTHER, row["file"]
    parsed = parse_message((BOUNCES / "messages/sisimai/rfc3464-28.eml").read_bytes())
    assert parsed.headers["auto-submitted"] == "auto-replied"
    assert classify(parsed, Directory()) == (Kind.OTHER, "other.delivery_notice.dsn-deliverable")


def test_rule_names_say_why() -> None:
    assert read("fr-dev", "011.eml").rule == "report.actions"
    assert read("fr-dev", "002.eml").rule == "signup.volunteer"
    assert read("fr-dev", "001.eml").rule == "unsubscribe.text"
    assert read("fr-dev", "014.eml").rule == "confirm.reply"
    assert read("fr-dev", "039.eml").rule == "other.nothing_done"
    assert read("fr-dev", "004.eml").rule == "other.nothing_done"
    assert read("fr-dev", "005.eml").rule == "other.no_rule"
    assert read("fr-own", "own-011.eml").rule == "unsubscribe.token"
    assert classify(parse_message((DATA / "fr-dev" / "037.eml").read_bytes()), directory("fr-dev")) == \
        (Kind.OTHER, "other.nothing_done")


def test_unsubscribe_token_scope_comes_from_the_resolver() -> None:
    seen: list[str] = []

    def scope(token: str) -> str | None:
        seen.append(token)
        return "bulletin"

    reading = read("fr-own", "own-011.eml", ReadingContext(team_address=TEAM, unsubscribe_scope=scope))
    assert (reading.kind, reading.scope, reading.token) == (Kind.UNSUBSCRIBE, "bulletin", "k3j5h2m4n6p7q8r9")
    assert seen == ["k3j5h2m4n6p7q8r9"]
    # an unknown token: still an unsubscribe, scope from the words (none here: all)
    reading = read("fr-own", "own-011.eml", ReadingContext(team_address=TEAM, unsubscribe_scope=lambda t: None))
    assert reading.scope == "all"


def test_confirm_by_thread_is_verified_and_by_wording_is_not() -> None:
    by_words = read("fr-own", "own-012.eml")
    assert (by_words.kind, by_words.rule, by_words.verified) == (Kind.CONFIRM, "confirm.reply", False)
    ctx = ReadingContext(team_address=TEAM, confirmation_ids={"<c0ffee1234@example.org>"})
    by_thread = read("fr-own", "own-012.eml", ctx)
    assert (by_thread.kind, by_thread.rule, by_thread.verified) == (Kind.CONFIRM, "confirm.thread", True)
    ctx = ReadingContext(team_address=TEAM, confirmation_ids=lambda mid: mid.startswith("<c0ffee"))
    assert read("fr-own", "own-012.eml", ctx).verified


def _raw(body: str, to: str = TEAM, subject: str = "Bonjour", extra: str = "") -> bytes:
    return (f"From: Anne Petit <anne.petit@example.net>\nTo: {to}\nSubject: {subject}\n"
            f"Date: Tue, 10 Mar 2026 10:00:00 +0100\n{extra}Content-Type: text/plain; charset=utf-8\n\n"
            f"{body}").encode()


def test_confirm_token_address() -> None:
    raw = _raw("oui\n", to="protegeonslespersonnes+c-abc123@example.org")
    ctx = ReadingContext(team_address=TEAM, confirm_token=lambda token: token == "abc123")
    reading = read_message(parse_message(raw), Directory(), ctx)
    assert (reading.kind, reading.rule, reading.token, reading.verified) == (Kind.CONFIRM, "confirm.token",
                                                                             "abc123", True)
    assert reading.to_json() == {"kind": "confirm", "sender": "anne.petit@example.net", "rule": "confirm.token"}


def test_to_json_shape() -> None:
    reading = read("fr-dev", "022.eml")
    data = reading.to_json()
    assert list(data) == ["kind", "sender", "rule", "group", "dossier", "actions", "confidence", "checks"]
    assert data["confidence"] == 0.95 and data["checks"] == []       # issue 9: a clean report
    assert {"type": "fund", "count": None, "amount_eur": 520, "date": None} in data["actions"]
    assert all(set(a) == {"type", "count", "amount_eur", "date"} for a in data["actions"])
    json.dumps(data)   # plain JSON types only
    assert Reading(Kind.BOUNCE, "bounce.dsn", "mailer-daemon@x", recipients=("a@b.c",), permanent=True).to_json() \
        == {"kind": "bounce", "sender": "mailer-daemon@x", "rule": "bounce.dsn", "recipients": ["a@b.c"],
            "permanent": True}
    assert Reading(Kind.OTHER, "other.no_rule", "x@y.z").to_json() == {"kind": "other", "sender": "x@y.z",
                                                                        "rule": "other.no_rule"}
    assert Action(ActionType.FUND, None, 62.5).to_json()["amount_eur"] == 62.5


@pytest.mark.parametrize("body", ["", "\n\n", "> tout est cité\n", "<<<>>>", "€€€ 12/13/14 le 45 mars"])
def test_strange_mail_is_other_not_an_error(body: str) -> None:
    reading = read_message(parse_message(_raw(body)), directory("fr-dev"))
    assert reading.kind is Kind.OTHER


def test_no_date_header_gives_unknown_dates() -> None:
    raw = _raw("Bonjour,\n\nLe 12 mars, nous avons tenu un stand : 40 signatures.\n\nLe groupe 37 de Lyon\n")
    raw = raw.replace(b"Date: Tue, 10 Mar 2026 10:00:00 +0100\n", b"")
    reading = read_message(parse_message(raw), directory("fr-dev"))
    assert reading.kind is Kind.REPORT and reading.group == "G037"
    assert {(a.type, a.count, a.date) for a in reading.actions} == {(ActionType.AWARENESS, 1, None),
                                                                     (ActionType.PETITION, 40, None)}
