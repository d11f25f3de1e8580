"""What decide returns: a disposition and effects, as data, for `apply.py` to carry out.   [pure]

Each effect is one fact to record or one thing to do; `apply.Ledger` applies them in the store's
transaction, and the inbound record keeps their names, so "what did this message do?" has an
answer without re-reading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..models import AnswerKind
from .understand.approval import ApprovalBinding
from .understand.extract import Action


class Disposition(StrEnum):
    APPLY = "apply"
    TRIAGE = "triage"
    IGNORE = "ignore"


@dataclass(frozen=True)
class RecordBounce:
    email: str
    permanent: bool | None
    status: str = ""         # the report's status for this recipient ("5.1.1"), or ""
    reason: str = ""         # its diagnostic
    campaign: str = ""       # the campaign our returned Message-ID names, or ""


@dataclass(frozen=True)
class Suppress:
    email: str
    reason: str          # SuppressionReason value
    scope: str = "all"


@dataclass(frozen=True)
class KeepMailings:
    """The person's `+k-` mail: their unsubscribe from everything becomes one from the bulletin."""
    email: str


@dataclass(frozen=True)
class RecordReport:
    sender: str
    group: str | None
    dossier: str | None
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class CreatePendingPerson:
    email: str
    name: str | None
    group: str | None
    dossier: str | None
    scope: str = ""      # "bulletin": a pending bulletin subscriber (no group), else a volunteer


@dataclass(frozen=True)
class Activate:
    email: str           # a pending person who proved they own the address
    via: str             # "token" | "thread"


@dataclass(frozen=True)
class RecordSignupRequest:
    email: str
    name: str | None
    group: str | None
    dossier: str | None


@dataclass(frozen=True)
class SendAnswer:
    kind: AnswerKind
    to: str
    threaded: bool = True                 # In-Reply-To/References the incoming message
    about: str = ""                       # the person a référent notice is about
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordApproval:
    """A coordinator's approval of one version of a campaign, by reply to its request's token."""

    binding: ApprovalBinding
    by: str


@dataclass(frozen=True)
class ToTriage:
    reason: str          # a TriageReason, signup_unconfirmed(...), or the rule name of mail no rule read
    link: str = ""       # e.g. "report:12": what a human should look at with it


@dataclass(frozen=True)
class ConfirmReport:
    """The sender confirmed (OUI) or corrected (a filled form) the reading we asked them about:
    record the pending triage item's report, with `actions` instead of its own when given."""
    link: str                             # "triage:ID", the item awaiting the confirmation
    actions: tuple[Action, ...] | None = None


Effect = RecordBounce | Suppress | KeepMailings | RecordReport | CreatePendingPerson | Activate | RecordSignupRequest | \
    SendAnswer | RecordApproval | ToTriage | ConfirmReport


@dataclass(frozen=True)
class Decision:
    disposition: Disposition
    effects: tuple[Effect, ...] = ()
    note: str = ""       # one line for the log: why
    also_applied: bool = False      # triage, but its effects act on the reading (an unsubscribe that asks more)

    @property
    def applied(self) -> bool:
        return self.disposition is Disposition.APPLY or self.also_applied
