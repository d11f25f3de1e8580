"""Per-recipient values as opaque markers: a template rendered once per variant, values spliced in.   [pure]

A variant (recipient kind, group, whether a name is known) is rendered with each per-recipient
value replaced by a marker; per recipient the values are joined back in by `Parts.join`. A
template that does more with a value than print it or test it (a filter, a comparison) raises
`SlotMisuse` or renders differently under the two marker alphabets: it is then rendered in
full for each recipient. The values themselves are checked and encoded by `encoding.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SLOTS = ("email", "name", "first_name", "unsubscribe_url")
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKER_RE = re.compile(f"{_OPEN}([sS])(\\d)z*{_CLOSE}")


class SlotMisuse(Exception):
    """A template did more with a per-recipient value than print it or test it."""


class Slot:
    """Stands for a per-recipient value while a variant is rendered."""

    __slots__ = ("marker", "truthy")

    def __init__(self, marker: str, truthy: bool) -> None:
        self.marker = marker
        self.truthy = truthy

    def __str__(self) -> str:
        return self.marker

    def __html__(self) -> str:          # already safe: escaped when spliced
        return self.marker

    def __bool__(self) -> bool:
        return self.truthy

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise SlotMisuse(name)

    def _misuse(self, *args: Any) -> Any:
        raise SlotMisuse("operation")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _misuse  # type: ignore[assignment]
    __len__ = __iter__ = __getitem__ = __contains__ = __add__ = __radd__ = __mod__ = _misuse  # type: ignore[assignment]
    __hash__ = object.__hash__


def slots(style: str, truthy: Sequence[bool]) -> list[Slot]:
    """One Slot per value. Two alphabets of different case and length, so upper/lower/length/
    truncate show as a difference between the two renders."""
    markers = (f"{_OPEN}s{i}{_CLOSE}" if style == "a" else f"{_OPEN}S{i}zzz{_CLOSE}" for i in range(len(SLOTS)))
    return [Slot(m, t) for m, t in zip(markers, truthy)]


def same_markers(renders: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The texts of the two renders with their markers in one alphabet; SlotMisuse if they differ."""
    normalised = [tuple(_MARKER_RE.sub(lambda m: f"{_OPEN}s{m.group(2)}{_CLOSE}", part) for part in r)
                  for r in renders]
    if normalised[0] != normalised[1]:
        raise SlotMisuse("values transformed")
    return normalised[0]


@dataclass(frozen=True)
class Parts:
    """A rendered text split at the markers: statics[0] slot statics[1] slot ... statics[-1]."""

    statics: tuple[str, ...]
    slots: tuple[int, ...]

    @classmethod
    def split(cls, text: str) -> "Parts":
        pieces = _MARKER_RE.split(text)
        statics = tuple(pieces[0::3])
        slots = tuple(int(i) for i in pieces[2::3])
        if any(_OPEN in s or _CLOSE in s for s in statics):
            raise SlotMisuse("marker altered")
        return cls(statics, slots)

    def join(self, values: Sequence[str]) -> str:
        out = [self.statics[0]]
        for slot, static in zip(self.slots, self.statics[1:]):
            out.append(values[slot])
            out.append(static)
        return "".join(out)


@dataclass(frozen=True)
class Variant:
    subject: Parts
    text: Parts
    html: Parts
    subject_header: str | None = None     # encoded once when the subject has no per-recipient value
