"""Per-address tokens for sub-addresses: `+b-` (VERP bounces), `+u-` (unsubscribe), `+c-` (confirm).

A token is an HMAC of (purpose, address) under the team's secret: unguessable without the key,
bound to one address, and short enough for a local part (RFC 5321 caps it at 64 octets).
Deterministic, so no table is needed to issue one; the inbound side rebuilds the reverse map
from the addresses it knows.

Message-IDs are the other identifier we mint: random, from `secrets` (see `new_message_id`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from .models import SuppressionScope

BOUNCE = "b"
UNSUBSCRIBE = "u"
CONFIRM = "c"
TOKEN_HEX = 20            # 80 bits as lower-case hex: case-proof, and `team+u-` + 20 fits a local part


def make_token(secret: bytes, purpose: str, address: str) -> str:
    message = f"{purpose}\0{address.strip().lower()}".encode("utf-8")
    return hmac.digest(secret, message, "sha256").hex()[:TOKEN_HEX]


def new_message_id(domain: str) -> str:
    """`<32 hex digits@domain>` for a mail the service writes itself (notices, answers, digests).

    A reply's In-Reply-To naming one of our Message-IDs is trusted to thread it (STYLE: "our own
    Message-IDs can not be forged"), so the ID must be unguessable: 128 bits from `secrets`,
    never `email.utils.make_msgid`, whose `random` and clock are predictable.
    """
    domain = domain.strip()
    if not domain or any(c in domain for c in "<>@ \t\r\n"):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")
    return f"<{secrets.token_hex(16)}@{domain}>"


def unsubscribe_purpose(scope: SuppressionScope | str) -> str:
    """Unsubscribe tokens carry their scope: the bulletin's footer stops only the bulletin."""
    return f"{UNSUBSCRIBE}:{SuppressionScope(scope).value}"


def sub_address(team_address: str, prefix: str, token: str) -> str:
    local, _, domain = team_address.rpartition("@")
    return f"{local}+{prefix}-{token}@{domain}"


def parse_sub_address(team_address: str, address: str) -> tuple[str, str] | None:
    """`team+u-TOKEN@domain` -> ("u", "TOKEN"); None for any other address."""
    local, _, domain = team_address.lower().rpartition("@")
    a_local, _, a_domain = address.strip().lower().rpartition("@")
    if a_domain != domain or not a_local.startswith(local + "+"):
        return None
    prefix, sep, token = a_local[len(local) + 1:].partition("-")
    if not sep or prefix not in (BOUNCE, UNSUBSCRIBE, CONFIRM) or not token.isalnum():
        return None
    return prefix, token


class TokenIndex:
    """token -> (purpose, address) for a set of known addresses (rebuilt per inbound batch)."""

    PURPOSES = (BOUNCE, CONFIRM, unsubscribe_purpose(SuppressionScope.ALL),
                unsubscribe_purpose(SuppressionScope.BULLETIN))

    def __init__(self, secret: bytes, addresses: Iterable[str]) -> None:
        self._map: dict[str, tuple[str, str]] = {}
        for address in {a.strip().lower() for a in addresses if a}:
            for purpose in self.PURPOSES:
                self._map[make_token(secret, purpose, address)] = (purpose, address)

    def resolve(self, token: str) -> tuple[str, str] | None:
        return self._map.get(token.lower())

    def address(self, token: str) -> str | None:
        found = self.resolve(token)
        return found[1] if found else None
