"""A scriptable SMTP server for sending tests: seeded random faults at every step of a transaction.

A raw asyncio server (aiosmtpd's hooks cannot answer 421 at the greeting or drop a connection right
after the body, see ../shared/FACTS.md). It advertises PIPELINING and reads commands line by line,
so the sender's pipelined MAIL, RCPT, DATA (and the next envelope behind a body) arrive as they
would at a real MTA. Every transaction is recorded with its recipient and how it ended: a copy
accepted with 250, a copy kept although the connection was dropped before the reply (the worst
case of "unknown result"), or refused with a code.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

CODES = (421, 450, 451, 452, 550, 552, 553, 554)
STAGES = ("greeting", "mail", "rcpt", "data")        # data: the reply after the body
DROPS = ("before_data", "after_data")                # close without a reply, before or after the body


@dataclass
class Event:
    recipient: str | None
    stage: str
    code: int                   # 250 accepted; 0 a drop; else the refusal sent
    delivered: bool             # a copy reached the mailbox


@dataclass
class FaultPlan:
    """Per stage, a rate for each code; per drop kind, a rate. Seeded: the same seed, the same dice."""

    seed: int
    rates: dict[str, dict[int, float]] = field(default_factory=dict)
    drops: dict[str, float] = field(default_factory=dict)
    clean_greetings: int = 0        # the first connections are always greeted with 220

    @classmethod
    def mixed(cls, seed: int, rate: float, drop: float) -> "FaultPlan":
        """Every code at every stage, `rate` in all per stage, and both drops at `drop` each."""
        return cls(seed, {stage: {code: rate / len(CODES) for code in CODES} for stage in STAGES},
                   {kind: drop for kind in DROPS})


class FaultServer:
    """Runs in a thread with its own loop; `events` is what it did, in order."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.random = random.Random(plan.seed)
        self.events: list[Event] = []
        self.injected: Counter[str] = Counter()       # "rcpt 452", "drop after_data", ...
        self.lock = threading.Lock()
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait(10)

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    def stop(self) -> None:
        async def close() -> None:
            assert self.server is not None
            self.server.close()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    # -- the dice --------------------------------------------------------------------------
    def _fault(self, stage: str) -> int:
        roll = self.random.random()
        for code, rate in self.plan.rates.get(stage, {}).items():
            if roll < rate:
                self.injected[f"{stage} {code}"] += 1
                return code
            roll -= rate
        return 0

    def _drop(self, kind: str) -> bool:
        if self.random.random() < self.plan.drops.get(kind, 0.0):
            self.injected[f"drop {kind}"] += 1
            return True
        return False

    def _record(self, recipient: str | None, stage: str, code: int, delivered: bool = False) -> None:
        with self.lock:
            self.events.append(Event(recipient, stage, code, delivered))

    # -- one connection --------------------------------------------------------------------
    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode("ascii") + b"\r\n")

        with self.lock:
            self.connections += 1
            clean = self.connections <= self.plan.clean_greetings
        code = 0 if clean else self._fault("greeting")
        if code:
            say(f"{code} fault.test greeting refused")
            self._record(None, "greeting", code)
            await writer.drain()
            return
        say("220 fault.test ESMTP")
        sender = recipient = None
        refused = 0                                     # a refusal earlier in this transaction
        while True:
            await writer.drain()
            line = (await reader.readline()).decode("ascii", "replace").rstrip("\r\n")
            if not line:
                return
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                say("250-fault.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8")
            elif verb == "MAIL":
                sender, recipient, refused = line, None, self._fault("mail")
                say(f"{refused} 4.0.0 MAIL refused" if refused else "250 2.1.0 OK")
                if refused == 421:
                    self._record(None, "mail", 421)
                    return
            elif verb == "RCPT":
                recipient = line.partition(":")[2].strip().strip("<>").lower()
                if refused or sender is None:
                    say("503 5.5.1 need MAIL first")
                    self._record(recipient, "mail", refused or 503)
                    continue
                refused = self._fault("rcpt")
                say(f"{refused} recipient refused" if refused else "250 2.1.5 OK")
                if refused:
                    self._record(recipient, "rcpt", refused)
                    if refused == 421:
                        return
            elif verb == "DATA":
                if refused or recipient is None:
                    say("554 5.5.1 no valid recipients")
                    sender = recipient = None
                    refused = 0
                    continue
                if self._drop("before_data"):
                    self._record(recipient, "before_data", 0)
                    return
                say("354 go ahead")
                await writer.drain()
                while (await reader.readline()) not in (b".\r\n", b""):
                    pass
                if not await self._end_of_data(recipient, say):
                    return
                sender = recipient = None
                refused = 0
            elif verb == "RSET":
                sender = recipient = None
                refused = 0
                say("250 2.0.0 OK")
            elif verb == "QUIT":
                say("221 2.0.0 bye")
                await writer.drain()
                return
            else:
                say("502 5.5.2 unknown command")

    async def _end_of_data(self, recipient: str, say) -> bool:
        """The reply after the body; False when the connection ends here."""
        if self._drop("after_data"):
            self._record(recipient, "after_data", 0, delivered=True)   # kept, but the client never knows
            return False
        code = self._fault("data")
        if code:
            say(f"{code} message refused")
            self._record(recipient, "data", code)
            return code != 421
        say("250 2.0.0 queued")
        self._record(recipient, "data", 250, delivered=True)
        return True

    # -- what it saw -----------------------------------------------------------------------
    def copies(self) -> Counter[str]:
        with self.lock:
            return Counter(e.recipient for e in self.events if e.delivered and e.recipient)

    def accepted(self) -> Counter[str]:
        with self.lock:
            return Counter(e.recipient for e in self.events if e.code == 250 and e.recipient)

    def refused_for_good(self) -> dict[str, int]:
        """Recipients refused with 5xx at MAIL, RCPT or DATA (a 503 after a MAIL refusal counts as it)."""
        with self.lock:
            return {e.recipient: e.code for e in self.events
                    if e.recipient and 500 <= e.code < 600 and e.stage in ("mail", "rcpt", "data")}

    def after_refusal(self) -> list[str]:
        """Recipients the sender tried again after a 5xx."""
        seen: set[str] = set()
        again = []
        with self.lock:
            for e in self.events:
                if not e.recipient:
                    continue
                if e.recipient in seen:
                    again.append(e.recipient)
                if 500 <= e.code < 600 and e.stage in ("mail", "rcpt", "data"):
                    seen.add(e.recipient)
        return again
