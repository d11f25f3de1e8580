"""Tokens and campaign Message-IDs: HMAC-SHA256 values exactly as documented, from any thread."""

from __future__ import annotations

import hmac
from concurrent.futures import ThreadPoolExecutor

from mailer.tokens import campaign_message_id, make_token, sent_campaign_to

KEY = bytes(range(32))


def test_tokens_and_campaign_ids_are_the_documented_hmacs() -> None:
    assert make_token(KEY, "b", " Léa.Moreau@Example.ORG ") == \
        hmac.digest(KEY, "b\0léa.moreau@example.org".encode(), "sha256").hex()[:20]
    mark = hmac.digest(KEY, b"m\0bulletin.7.s4lt\0lea@example.org", "sha256").hex()[:24]
    assert campaign_message_id(KEY, "example.org", "bulletin.7.s4lt", "Lea@example.org") == \
        f"<c.bulletin.7.s4lt.{mark}@example.org>"
    assert sent_campaign_to(KEY, f"<c.bulletin.7.s4lt.{mark}@example.org>", "lea@example.org")
    assert make_token(b"another key", "b", "lea@example.org") != make_token(KEY, "b", "lea@example.org")


def test_tokens_are_the_same_from_concurrent_threads() -> None:
    """A worker's sending threads share the keyed HMAC they copy."""
    addresses = [f"abonne.{i}@example{i % 7}.org" for i in range(2000)]
    expected = [make_token(KEY, "u:all", a) for a in addresses]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda a: make_token(KEY, "u:all", a), addresses)) == expected
