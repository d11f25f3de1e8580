"""A message as a person reads it in a terminal: the writer's words, quoted parts folded.   [pure]"""

from __future__ import annotations

from dataclasses import dataclass

from .parse import ParsedMessage


@dataclass(frozen=True)
class MessageView:
    headers: tuple[tuple[str, str], ...]    # From, To, Date, Subject as decoded
    text: str                               # the writer's words (and signature), or the whole text with `full`
    folded: int                             # lines of quoted replies and forwarded history left out


def _lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def view(parsed: ParsedMessage, full: bool = False) -> MessageView:
    """The own text (quotes folded, `-- ` signature kept) and how many non-blank lines were folded."""
    headers = tuple((name, parsed.headers.get(name.lower(), "")) for name in ("From", "To", "Date", "Subject"))
    own = parsed.new_text.strip()
    if parsed.signature.strip():
        own = f"{own}\n-- \n{parsed.signature.strip()}"
    folded = max(0, _lines(parsed.text) - _lines(own))
    if full:
        return MessageView(headers, parsed.text.strip(), folded)
    return MessageView(headers, own, folded)
