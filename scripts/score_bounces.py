#!/usr/bin/env python3
"""Score production's reading (`read_message`) on the bounces-dev corpus, field by field.

    python scripts/score_bounces.py [CORPUS_DIR] [--source-only] [--brief] [--flufl]

Prints recall (bounce rows read as bounces), exact recipients, permanence and false bounces
(non-bounce rows read as bounces: the issue-9 targets), then, per field the corpus states: kind (bounce / auto_reply / other; complaints, success
notices and unsubscribe requests count as `other`, as the corpus README says), recipients (set
equality where the expectation lists addresses, count equality where it only gives
`recipient_count`) and permanence (where non-null; "mixed" expects None); then the confusion of
kinds, every miss (unless --brief), and the throughput of parse + read (messages read from
memory, no IO). The comparison is the one `tests/test_bounces.py` pins per file
(`tests/bounce_corpus.py`). `--flufl` also times and scores flufl.bounce on the same messages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]      # runs from a checkout, installed or not

from mailer.inbound.mime.parse import MessageTooComplex, ParsedMessage, parse_message  # noqa: E402
from mailer.inbound.understand.classify import Kind, Reading  # noqa: E402

from bounce_corpus import FIELDS, contradictory, corpus_kind, misses, read, stated  # noqa: E402

LABELS = {"kind": "kind", "recipients": "recipients", "permanent": "permanence"}
DEFAULT_CORPORA = (ROOT / "tests" / "data" / "bounces-dev", ROOT.parent / "shared" / "corpus" / "bounces-dev")


def parse(raw: bytes) -> ParsedMessage | str:
    try:
        return parse_message(raw)
    except MessageTooComplex as exc:
        return f"too complex: {exc}"


def throughput(raws: list[bytes], repeats: int = 5) -> float:
    """Median messages per second of parse + read_message."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for raw in raws:
            parsed = parse(raw)
            if not isinstance(parsed, str):
                read(parsed)
        rates.append(len(raws) / (time.perf_counter() - start))
    return statistics.median(rates)


def recipients_ok(row: dict, got: set[str]) -> bool | None:  # type: ignore[type-arg]
    """For flufl.bounce: True/False where the corpus states the recipients (or their number), else None."""
    if row["recipients"] is not None:
        expected = {a.lower() for a in row["recipients"]}
        alt = {a.lower() for a in row.get("recipients_alt") or []}
        return got == expected or (bool(alt) and got == alt)
    if row["recipient_count"] is not None:
        return len(got) == row["recipient_count"]
    return None


def flufl_report(rows: list[dict], raws: list[bytes]) -> None:  # type: ignore[type-arg]
    import email
    import logging

    try:
        from flufl.bounce import all_failures
    except ImportError:
        print("flufl.bounce: not installed (pip install flufl.bounce) - comparison skipped")
        return

    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)   # it logs a traceback per detector error

    hits = correct = 0
    start = time.perf_counter()
    messages = [email.message_from_bytes(raw) for raw in raws]       # flufl.bounce wants compat32 trees
    parsed_at = time.perf_counter()
    results: list[set[str]] = []
    for msg in messages:
        try:
            temporary, permanent = all_failures(msg)
        except Exception:            # noqa: BLE001 - it raises on some corpus messages
            temporary = permanent = frozenset()
        results.append({a.decode("latin-1").lower() for a in temporary | permanent})
    end = time.perf_counter()
    for row, got in zip(rows, results):
        is_bounce = bool(got)
        hits += is_bounce == (row["kind"] == "bounce")
        if row["kind"] == "bounce":
            correct += bool(recipients_ok(row, got))
    n = len(raws)
    print(f"flufl.bounce: bounce-vs-not {hits}/{n}, recipients right on {correct} bounce rows; "
          f"{(end - parsed_at) / n * 1e3:.3f} ms/msg to detect + {(parsed_at - start) / n * 1e3:.3f} ms/msg "
          f"for the compat32 parse it needs")


@dataclass
class Score:
    stating: Counter[str] = field(default_factory=Counter)     # rows that state each field
    right: Counter[str] = field(default_factory=Counter)       # rows we read right on it
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in FIELDS})

    def add(self, row: dict[str, Any], parsed: ParsedMessage | str) -> None:
        # too complex to parse: the pipeline files it as other
        reading = Reading(Kind.OTHER, parsed, "") if isinstance(parsed, str) else read(parsed)
        found = misses(row, reading)
        self.confusion[(row["kind"], corpus_kind(reading))] += 1
        for name in FIELDS:
            if not stated(row, name):
                continue
            self.stating[name] += 1
            if name not in found:
                self.right[name] += 1
                continue
            by_design = name == "permanent" and not isinstance(parsed, str) and contradictory(parsed)
            note = "  (Action failed + 4.x.x Status: None by design)" if by_design else ""
            want, got = found[name]
            self.misses[name].append(f"  {row['file']}: want {want}, got {got}  [{reading.rule}]{note}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", type=Path)
    ap.add_argument("--source-only", action="store_true", help="only rows whose labels come from the source")
    ap.add_argument("--brief", action="store_true", help="figures only, without the lists of misses")
    ap.add_argument("--flufl", action="store_true", help="compare with flufl.bounce")
    args = ap.parse_args()
    corpus = args.corpus or next((c for c in DEFAULT_CORPORA if c.is_dir()), DEFAULT_CORPORA[0])
    rows = [json.loads(line) for line in (corpus / "expectations.jsonl").open(encoding="utf-8")]
    if args.source_only:
        rows = [r for r in rows if r["label_basis"] == "source"]
    raws = [(corpus / r["file"]).read_bytes() for r in rows]

    score = Score()
    for row, raw in zip(rows, raws):
        score.add(row, parse(raw))
    print(f"corpus: {corpus} ({len(rows)} messages{', source labels only' if args.source_only else ''})")
    bounces = sum(n for (want, _), n in score.confusion.items() if want == "bounce")
    found = score.confusion[("bounce", "bounce")]
    others = len(rows) - bounces
    false = sum(n for (want, got), n in score.confusion.items() if want != "bounce" and got == "bounce")
    exact, stating = score.right["recipients"], score.stating["recipients"]
    print(f"{'recall:':<21}{found}/{bounces} = {found / max(bounces, 1):.1%}   (bounces read as bounces)")
    print(f"{'exact recipients:':<21}{exact}/{stating} = {exact / max(stating, 1):.1%}")
    print(f"{'permanence:':<21}{score.right['permanent']}/{score.stating['permanent']} = "
          f"{score.right['permanent'] / max(score.stating['permanent'], 1):.1%}")
    print(f"{'false bounces:':<21}{false}/{others}   (other mail read as bounces)")
    for name in FIELDS:
        n, good = score.stating[name], score.right[name]
        print(f"{LABELS[name] + ' accuracy:':<21}{good}/{n} = {good / max(n, 1):.1%}")
    rate = throughput(raws)
    print(f"throughput:          {rate:,.0f} msg/s parse+read ({1e3 / rate:.3f} ms/msg)")
    print("confusion (expected -> got):")
    for (want, kind), n in sorted(score.confusion.items()):
        print(f"  {want:>10} -> {kind:<10} {n}")
    if not args.brief:
        for name in FIELDS:
            print(f"{LABELS[name]} misses:")
            print("\n".join(score.misses[name]) or "  none")
    if args.flufl:
        flufl_report(rows, raws)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
