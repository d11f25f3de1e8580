#!/usr/bin/env python3
"""Score the machine-mail detectors on the bounces-dev corpus.

    python scripts/score_bounces.py [CORPUS_DIR] [--source-only] [--brief] [--flufl]

Prints kind accuracy (bounce / auto_reply / other; complaints and success notices count as
`other`, as the corpus README says), recipients accuracy (set equality where the expectation
lists addresses, count equality where it only gives `recipient_count`), permanence accuracy
where the expectation is non-null ("mixed" expects None), the confusion of kinds, every miss
(unless --brief), and the throughput of parse + detect (messages read from memory, no IO).
`--flufl` also times and scores flufl.bounce on the same messages, for comparison.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))                # runs from a checkout, installed or not

from mailer.inbound.understand.autoreply import detect_auto_reply  # noqa: E402
from mailer.inbound.understand.bounces import Bounce, detect_bounce, detect_complaint, detect_delivery_notice  # noqa: E402
from mailer.inbound.mime.parse import MessageTooComplex, parse_message  # noqa: E402

DEFAULT_CORPORA = (ROOT / "tests" / "data" / "bounces-dev", ROOT.parent / "shared" / "corpus" / "bounces-dev")
EXPECTED_PERMANENT = {"permanent": True, "temporary": False, "mixed": None}


Detail = Bounce | str | None


def classify(raw: bytes) -> tuple[str, Detail]:
    """(kind, detail): complaint, bounce, success notice, auto-reply, in that order."""
    try:
        parsed = parse_message(raw)
    except MessageTooComplex as exc:
        return "other", f"too complex: {exc}"
    if detect_complaint(parsed):
        return "other", "complaint"
    bounce = detect_bounce(parsed)
    if bounce:
        return "bounce", bounce
    notice = detect_delivery_notice(parsed)
    if notice:
        return "other", notice
    rule = detect_auto_reply(parsed)
    if rule:
        return "auto_reply", rule
    return "other", None


def recipients_ok(row: dict, got: set[str]) -> bool | None:  # type: ignore[type-arg]
    """True/False where the corpus states the recipients (or their number), None where it does not."""
    if row["recipients"] is not None:
        expected = {a.lower() for a in row["recipients"]}
        alt = {a.lower() for a in row.get("recipients_alt") or []}
        return got == expected or (bool(alt) and got == alt)
    if row["recipient_count"] is not None:
        return len(got) == row["recipient_count"]
    return None


def throughput(raws: list[bytes], repeats: int = 5) -> float:
    """Median messages per second of parse + complaint + bounce + auto-reply detection."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for raw in raws:
            classify(raw)
        rates.append(len(raws) / (time.perf_counter() - start))
    return statistics.median(rates)


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

    confusion: Counter[tuple[str, str]] = Counter()
    kind_misses, rec_misses, perm_misses = [], [], []
    rec_total = rec_good = perm_total = perm_good = by_design = 0
    for row, raw in zip(rows, raws):
        kind, detail = classify(raw)
        confusion[(row["kind"], kind)] += 1
        if kind != row["kind"]:
            kind_misses.append(f"  {row['kind']:>10} -> {kind:<10} {row['file']}  ({detail})")
        if row["kind"] != "bounce":
            continue
        bounce = detail if isinstance(detail, Bounce) else None
        found = set(bounce.recipients) if bounce else set()
        verdict = recipients_ok(row, found)
        if verdict is not None:
            rec_total += 1
            rec_good += verdict
            if not verdict:
                want = row["recipients"] if row["recipients"] is not None else f"{row['recipient_count']} address(es)"
                rec_misses.append(f"  {row['file']}: want {want}, got {sorted(found)}")
        if row["permanence"] is not None:
            perm_total += 1
            want_p = EXPECTED_PERMANENT[row["permanence"]]
            got_p = bounce.permanent if bounce else "not a bounce"
            perm_good += got_p == want_p
            if got_p != want_p:
                contradictory = bounce is not None and any(
                    f.action == "failed" and f.status.startswith("4") for f in bounce.failures)
                by_design += contradictory
                note = "  (Action: failed with a 4.x.x Status: None by design)" if contradictory else ""
                perm_misses.append(f"  {row['file']}: want {want_p}, got {got_p}{note}")

    total = len(rows)
    kind_good = total - len(kind_misses)
    print(f"corpus: {corpus} ({total} messages{', source labels only' if args.source_only else ''})")
    print(f"kind accuracy:       {kind_good}/{total} = {kind_good / total:.1%}")
    print(f"recipients accuracy: {rec_good}/{rec_total} = {rec_good / max(rec_total, 1):.1%}")
    print(f"permanence accuracy: {perm_good}/{perm_total} = {perm_good / max(perm_total, 1):.1%}"
          f"  ({by_design} of the misses: Action failed + 4.x.x Status, which we call contradictory)")
    rate = throughput(raws)
    print(f"throughput:          {rate:,.0f} msg/s parse+detect ({1e3 / rate:.3f} ms/msg)")
    print("confusion (expected -> got):")
    for (want, kind), n in sorted(confusion.items()):
        print(f"  {want:>10} -> {kind:<10} {n}")
    if not args.brief:
        for title, misses in (("kind", kind_misses), ("recipient", rec_misses), ("permanence", perm_misses)):
            print(f"{title} misses:")
            print("\n".join(misses) or "  none")
    if args.flufl:
        flufl_report(rows, raws)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
