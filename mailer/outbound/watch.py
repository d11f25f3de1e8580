"""Which addresses may not receive a campaign now, re-read within a second of a change to the store."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..models import CampaignState
from ..registry import SuppressionMap, suppression_map
from ..store.schema import CAMPAIGNS
from ..store import Store
from .campaigns import Campaign

WATCH_SECONDS = 1.0                         # suppressions recorded during a send apply within this


class SuppressionWatch:
    """Which addresses may not receive this campaign, refreshed when the store file changes."""

    def __init__(self, store: Store, campaign: Campaign) -> None:
        self.store = store
        self.campaign = campaign
        self.signature: Any = None
        self.checked_at = 0.0
        self.blocked: SuppressionMap = SuppressionMap(())
        self.cancelled = False
        self._lock = threading.Lock()
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self.checked_at < WATCH_SECONDS:
                return
            self.checked_at = now
            changed, signature = self.store.changed_since(self.signature)
            if not changed and not force:
                return
            snapshot = self.store.snapshot()
            self.signature = signature
            self.blocked = suppression_map(snapshot).only(self.campaign.kind)   # erased ones by their hash
            self.cancelled = any(r.state == CampaignState.CANCELLED
                                 for _, r in snapshot.table(CAMPAIGNS).find("name", self.campaign.name))

    def reason(self, email: str) -> str | None:
        found = self.blocked.get(email.lower())
        return found.reason if found else None
