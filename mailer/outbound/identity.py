"""What a campaign file says, recorded when its audience is frozen, compared on every later send.   [pure]

A campaign is identified by its `name`: a copied file whose `name` was not changed would
otherwise "resume" a campaign already sent and send nothing, or send a new text to the
remaining recipients of another one. The fields below are what people receive; a difference
in any of them is shown to the coordinator field by field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from .campaigns import Campaign
from .mime import Attachment

FIELDS = ("kind", "subject", "template", "audience", "dossier", "vars", "reply_to", "attachments", "figures_since", "markdown")


def campaign_identity(campaign: Campaign, attachments: Sequence[Attachment]) -> dict[str, Any]:
    """The fields that make a campaign what it is, as JSON-ready values (`attachments` as read).
    A field added since (`figures_since`) is there only when set, so a campaign frozen before it
    existed still reads as the same campaign."""
    identity = {
        "kind": campaign.kind,
        "subject": campaign.subject,
        "template": campaign.template,
        "audience": list(campaign.audience),
        "dossier": campaign.dossier,
        "vars": json.loads(json.dumps(campaign.vars, default=str)),   # TOML dates become text
        "reply_to": campaign.reply_to,
        "attachments": [f"{a.filename} sha256:{_digest(a.data)}" for a in attachments],
    }
    if campaign.figures_since is not None:
        identity["figures_since"] = campaign.figures_since.isoformat()
    if campaign.markdown is not None:
        identity["markdown"] = f"{campaign.markdown.name} sha256:{campaign.markdown_digest[:16]}"
    return identity


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def differences(frozen: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """One line per field that differs, e.g. `subject: "Old" -> "New"`, in FIELDS order."""
    lines = []
    for name in FIELDS:
        old, new = frozen.get(name), current.get(name)
        if old == new:
            continue
        if name == "vars" and isinstance(old, dict) and isinstance(new, dict):
            lines.append(f"vars: {_dict_changes(old, new)}")
        else:
            lines.append(f"{name}: {_short(old)} -> {_short(new)}")
    return lines


def _dict_changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    changed = [k for k in old if k in new and old[k] != new[k]]
    added = [k for k in new if k not in old]
    removed = [k for k in old if k not in new]
    parts = [f"{', '.join(keys)} {verb}" for keys, verb in ((changed, "changed"), (added, "added"),
                                                            (removed, "removed")) if keys]
    return "; ".join(parts)


def _short(value: Any, limit: int = 120) -> str:
    text = "(none)" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"
