"""The team's vocabulary as enums and frozen dataclasses.   [pure]

Records are stored as plain dicts (store/schema.py says which table holds which); these classes are
the typed view the rest of the code works with (`from_doc` / `to_doc`). The inbox's and the
campaigns' records are in `records`.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from functools import cache
from typing import Any, get_type_hints


def code_key(code: str) -> str:
    """Group codes and dossier refs compare in upper case (old stores may hold `g021`)."""
    return code.strip().upper()


class GroupKind(StrEnum):
    GROUPE_LOCAL = "groupe_local"
    CERCLE_ACTION = "cercle_action"
    ANTENNE_JEUNES = "antenne_jeunes"

    @property
    def label(self) -> str:
        return {"groupe_local": "Groupe local", "cercle_action": "Cercle d'action",
                "antenne_jeunes": "Antenne jeunes"}[self.value]


class DossierStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"

    @classmethod
    def parse(cls, text: str) -> "DossierStatus":
        """French or English spelling, any case (`actif`, `Active`, `clos`...)."""
        key = text.strip().lower()
        aliases = {"actif": cls.ACTIVE, "active": cls.ACTIVE, "suspendu": cls.SUSPENDED,
                   "suspended": cls.SUSPENDED, "clos": cls.CLOSED, "closed": cls.CLOSED}
        if key not in aliases:
            raise ValueError(f"unknown status {text!r} (actif/active, suspendu/suspended, clos/closed)")
        return aliases[key]

    @property
    def label(self) -> str:
        return {"active": "actif", "suspended": "suspendu", "closed": "clos"}[self.value]


class DossierOutcome(StrEnum):
    """How a case ended or turned, its own field beside the status (a reduced sentence may keep a
    dossier active). English codes in JSON; French words on the command line and in sheets."""

    RELEASED = "released"
    ACQUITTED = "acquitted"
    SENTENCE_REDUCED = "sentence_reduced"
    DECEASED = "deceased"

    @property
    def label(self) -> str:
        return {"released": "libéré·e", "acquitted": "acquitté·e", "sentence_reduced": "peine réduite",
                "deceased": "décédé·e"}[self.value]


class SubscriberStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"        # a double opt-in waits: never mailed, never activated by an import


class SuppressionReason(StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    ERASED = "erased"
    MANUAL = "manual"
    EXPIRED = "expired"         # erased by retention (`[retention] former_subscriber_days`), not on request


class SuppressionScope(StrEnum):
    ALL = "all"
    BULLETIN = "bulletin"


class CampaignKind(StrEnum):
    ALERT = "alert"
    REMINDER = "reminder"
    BULLETIN = "bulletin"
    CUSTOM = "custom"
    CALL = "call"               # a call for volunteers on a dossier: replies to its `+v-` address sign up


class AnswerKind(StrEnum):
    """An `outgoing` record's kind: decided by the inbound wing, written by the outbound one."""

    REPORT_ACK = "report_ack"              # "voici ce que nous avons compris"
    REPORT_CONFIRM = "report_confirm"      # "est-ce bien cela ?": a free-text report, before it is recorded
    CONFIRM_REQUEST = "confirm_request"    # double opt-in
    UNSUBSCRIBED = "unsubscribed"          # "c'est fait"
    UNSUBSCRIBE_CONFIRM = "unsubscribe_confirm"   # one click to leave, for a sender we cannot verify
    REFERENT_NOTICE = "referent_notice"    # to a référent or the coordinators: not an auto-reply
    APPROVAL_NOTICE = "approval_notice"    # to the coordinators: a campaign was approved by reply (issue 10)


class CampaignState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"     # confirmed (and approved) for its `send_at`: the service starts it
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"         # its `not_after` passed before everyone had it: nothing more is sent


OMIT_DEFAULT = "omit_default"


def optional(default: Any = "") -> Any:
    """A field written to the doc only when set: docs keep the keys today's code writes."""
    return field(default=default, metadata={OMIT_DEFAULT: True})


@cache
def _enum_fields(cls: type) -> dict[str, type[StrEnum]]:
    """The fields annotated with a StrEnum, so docs' plain strings come back as members."""
    hints = get_type_hints(cls)
    return {name: hint for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, StrEnum)}


class _Record:
    """A stored doc's typed view: unknown keys are ignored here (the store keeps them on rewrite)."""

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Any:
        names = cls.__dataclass_fields__  # type: ignore[attr-defined]
        values = {k: v for k, v in doc.items() if k in names}
        for name, enum in _enum_fields(cls).items():
            if name in values:
                try:
                    values[name] = enum(values[name])
                except ValueError:
                    pass                # an old or hand-edited value: kept as written
        return cls(**values)

    def to_doc(self) -> dict[str, Any]:
        """The doc as stored; lists and dicts copied (records are flat: no deep copy needed, and
        `dataclasses.asdict` made a 50k-row import five times slower)."""
        doc = {}
        for name, omit, default in _layout(type(self)):
            value = getattr(self, name)
            if omit and value == default:
                continue
            doc[name] = value.copy() if isinstance(value, (list, dict)) else value
        return doc


@cache
def _layout(cls: type) -> tuple[tuple[str, bool, Any], ...]:
    return tuple((f.name, bool(f.metadata.get(OMIT_DEFAULT)),
                  f.default_factory() if f.default_factory is not MISSING else f.default) for f in fields(cls))


@dataclass(frozen=True)
class Group(_Record):
    code: str
    name: str
    kind: GroupKind
    city: str = ""
    email: str = ""


@dataclass(frozen=True)
class Dossier(_Record):
    ref: str
    person: str
    country: str
    status: DossierStatus
    referent_email: str = ""
    groups: list[str] = field(default_factory=list)
    # Issue 10: written only once set, so older dossiers keep their keys.
    summary: str = optional()                    # a short public text about the case
    outcome: DossierOutcome | str = optional()   # "" while none
    public: list[str] = field(default_factory=list, metadata={OMIT_DEFAULT: True})  # fields the bulletin may show


@dataclass(frozen=True)
class Member(_Record):
    email: str
    name: str = ""
    group: str = ""


@dataclass(frozen=True)
class Subscriber(_Record):
    email: str
    name: str = ""
    status: SubscriberStatus = SubscriberStatus.ACTIVE   # PENDING while a double opt-in waits
    since: str = ""


@dataclass(frozen=True)
class Suppression(_Record):
    email: str
    reason: SuppressionReason
    scope: SuppressionScope = SuppressionScope.ALL
    date: str = ""
    source: str = ""            # what caused it: a message id, "cli", a campaign...

    def applies_to(self, campaign_kind: str) -> bool:
        """A bulletin-scoped unsubscribe stops only bulletins; every other suppression stops all."""
        return self.scope == SuppressionScope.ALL or campaign_kind == CampaignKind.BULLETIN


@dataclass(frozen=True)
class Directory:
    """What the team knows, as the pure inbound code needs it (loaded once per batch)."""

    groups: tuple[Group, ...] = ()
    dossiers: tuple[Dossier, ...] = ()
    members: tuple[Member, ...] = ()

    def group(self, code: str) -> Group | None:
        key = code_key(code)
        return next((g for g in self.groups if code_key(g.code) == key), None)

    def dossier(self, ref: str) -> Dossier | None:
        key = code_key(ref)
        return next((d for d in self.dossiers if code_key(d.ref) == key), None)

    def members_of(self, code: str) -> list[Member]:
        key = code_key(code)
        return [m for m in self.members if m.group and code_key(m.group) == key]

    def member(self, email: str) -> Member | None:
        email = email.lower()
        return next((m for m in self.members if m.email == email), None)

    def group_by_email(self, email: str) -> Group | None:
        email = email.lower()
        return next((g for g in self.groups if g.email.lower() == email), None)


class RecipientKind(StrEnum):
    GROUP = "group"
    MEMBER = "member"
    REFERENT = "referent"
    SUBSCRIBER = "subscriber"
    CONTACT = "contact"          # a row of a csv: audience


@dataclass(frozen=True, slots=True)
class Recipient:
    """One address of a campaign's audience, with what templates may say about it."""

    email: str
    name: str = ""
    kind: str = RecipientKind.CONTACT.value
    group: str = ""              # the group code this address speaks for or belongs to

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name and self.kind != RecipientKind.GROUP else ""
