"""A campaign's frozen audience: who the first send fixed, in order, beside its journals.

    STATE/campaigns/NAME/audience.jsonl            frozen at the first send: a header line (the
                                                    campaign's salt...), then one recipient per
                                                    line; its line number is its index, the index
                                                    every journal line names (journal.py)
    STATE/campaigns/NAME/audience.jsonl.prepared   resolved and shown to the coordinator, not yet
                                                    frozen

Written atomically (0600, streamed, never built in memory); a damaged file is a clear
`CampaignError` naming it, never a traceback.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CampaignError
from ..models import Recipient
from ..store.privatefiles import fsync_dir, write_private_lines


@dataclass(frozen=True)
class FrozenAudience:
    header: dict[str, Any]
    recipients: list[Recipient]
    by_index: dict[int, Recipient] = field(default_factory=dict)   # filled when read with `only`

    @property
    def salt(self) -> str:
        return str(self.header["salt"])


AUDIENCE = "audience.jsonl"
PREPARED_AUDIENCE = "audience.jsonl.prepared"      # resolved, shown to the coordinator, not yet frozen


def write_audience(folder: Path, header: dict[str, Any], recipients: Iterable[Recipient],
                   name: str = AUDIENCE) -> None:
    """Atomically: either the whole audience is frozen or none of it is (streamed, not built in memory)."""
    lines = itertools.chain([json.dumps(header, ensure_ascii=False) + "\n"],
                            (json.dumps([r.email, r.name, r.kind, r.group], ensure_ascii=False) + "\n"
                             for r in recipients))
    write_private_lines(folder / name, lines)


def freeze_prepared_audience(folder: Path) -> None:
    """The first `send` fixes the audience: the prepared file becomes the frozen one, atomically."""
    os.replace(folder / PREPARED_AUDIENCE, folder / AUDIENCE)
    fsync_dir(folder)


def read_audience_head(folder: Path, name: str = AUDIENCE) -> tuple[dict[str, Any], Recipient | None] | None:
    """The header and the first recipient, without reading the rest."""
    try:
        with (folder / name).open("r", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
            first = handle.readline()
        row = json.loads(first) if first else None
        if not isinstance(header, dict) or not (row is None or _is_row(row)):
            raise ValueError("not a frozen audience: a header object, then [email, name, kind, group] rows")
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise CampaignError(f"{folder / name}: unreadable audience ({exc})") from None
    return header, Recipient(*row) if row else None


def _is_row(row: Any) -> bool:
    return isinstance(row, list) and 1 <= len(row) <= 4 and all(isinstance(v, str) for v in row)


def read_audience(folder: Path, only: set[int] | None = None) -> FrozenAudience | None:
    """The frozen audience; with `only`, just those indices (a worker's share), in `by_index`."""
    path = folder / AUDIENCE
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        return None
    recipients: list[Recipient] = []
    by_index: dict[int, Recipient] = {}
    try:
        with handle:
            header = json.loads(handle.readline())
            for index, line in enumerate(handle):
                if only is None:
                    recipients.append(Recipient(*json.loads(line)))
                elif index in only:
                    by_index[index] = Recipient(*json.loads(line))
    except (ValueError, TypeError) as exc:
        raise CampaignError(f"{path}: unreadable frozen audience ({exc})") from None
    return FrozenAudience(header, recipients, by_index)


def iter_audience(folder: Path) -> Iterator[tuple[int, Recipient]]:
    """The frozen audience's recipients with their index, streamed (a large one never in memory)."""
    path = folder / AUDIENCE
    try:
        with path.open("r", encoding="utf-8") as handle:
            handle.readline()
            for index, line in enumerate(handle):
                yield index, Recipient(*json.loads(line))
    except (ValueError, TypeError) as exc:
        raise CampaignError(f"{path}: unreadable frozen audience ({exc})") from None
