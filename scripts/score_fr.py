#!/usr/bin/env python3
"""Score the inbound reading on a French corpus folder.

Usage: python scripts/score_fr.py FOLDER [--repeat N] [--show-misses]

FOLDER holds *.eml, expected.jsonl (the `mailer parse --json` format without rule/disposition) and
groups.csv, dossiers.csv, members.csv. Prints kind accuracy; for reports dossier, group, the action
type multiset and each action field (count, amount, date: actions paired by type); for sign-ups
name, group, dossier; for unsubscribes scope; then messages per second, parse + read, end to end
from bytes.

Then what issue 9 asks of each corpus, from the disposition the service gives each message
against a throwaway store holding the corpus's groups, dossiers and members (as `mailer parse
--json` does): applied precision (an applied reading is right: a report in group, dossier,
action types and counts; a sign-up in group and dossier; an unsubscribe in scope), action-type
F1 and counts right over every report, applied or not, the triage rate, and real messages
ignored (only auto-replies, bounces and our own mail may be ignored). With `[inbox] confirm_reports`
(the default) a free-text report is not applied but asked back to its sender: the script also prints
how many were asked, how many of those readings are right, and the precision had they been applied
at once (`confirm_reports = false`). `--parsed FILE` scores a saved `mailer parse --json` output
instead (a first run kept from older code).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailer.inbound.understand.classify import ReadingContext, read_message  # noqa: E402
from mailer.inbound.mime.parse import parse_message  # noqa: E402
from mailer.models import Directory, Dossier, Group, Member  # noqa: E402

TEAM = "protegeonslespersonnes@example.org"


def load_directory(folder: Path) -> Directory:
    def rows(name: str) -> list[dict[str, str]]:
        with open(folder / name, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    groups = tuple(Group(r["code"], r["name"], r["kind"], r.get("city", ""), r.get("email", "").lower())
                   for r in rows("groups.csv"))
    dossiers = tuple(Dossier(r["ref"], r["person"], r["country"], r["status"], r.get("referent_email", ""),
                             [g for g in r.get("groups", "").split(";") if g]) for r in rows("dossiers.csv"))
    members = tuple(Member(r["email"].lower(), r.get("name", ""), r.get("group", "")) for r in rows("members.csv"))
    return Directory(groups, dossiers, members)


def load_expected(folder: Path) -> dict[str, dict]:
    with open(folder / "expected.jsonl", encoding="utf-8") as f:
        return {row["file"]: row for row in map(json.loads, filter(str.strip, f))}


def _pair(expected: list[dict], got: list[dict]) -> list[tuple[dict, dict | None]]:
    """Pair each expected action with the best unused got action of the same type."""
    pool = list(got)
    pairs = []
    for e in expected:
        same = [g for g in pool if g["type"] == e["type"]]
        if not same:
            pairs.append((e, None))
            continue
        best = max(same, key=lambda g: sum(g[k] == e[k] for k in ("count", "amount_eur", "date")))
        pool.remove(best)
        pairs.append((e, best))
    return pairs


class Score:
    def __init__(self) -> None:
        self.hits: dict[str, int] = Counter()
        self.totals: dict[str, int] = Counter()
        self.misses: dict[str, list[str]] = defaultdict(list)

    def check(self, field: str, file: str, expected: object, got: object) -> None:
        self.totals[field] += 1
        if expected == got:
            self.hits[field] += 1
        else:
            self.misses[field].append(f"{file}: expected {expected!r}, got {got!r}")

    def line(self, field: str) -> str:
        total = self.totals[field]
        return f"{field:<26} {self.hits[field]:>4}/{total:<4} {100 * self.hits[field] / total:6.1f}%" if total else \
            f"{field:<26}    -"


def score(folder: Path, repeat: int = 1) -> tuple[Score, float, int]:
    directory = load_directory(folder)
    expected = load_expected(folder)
    context = ReadingContext(team_address="protegeonslespersonnes@example.org")
    raws = {name: (folder / name).read_bytes() for name in sorted(expected)}
    results = {}
    started = time.perf_counter()
    for _ in range(repeat):
        for name, raw in raws.items():
            results[name] = read_message(parse_message(raw), directory, context).to_json()
    elapsed = time.perf_counter() - started
    s = Score()
    for name, exp in expected.items():
        got = results[name]
        s.check("kind", name, exp["kind"], got["kind"])
        s.check("sender", name, exp["sender"], got["sender"])
        same_kind = got["kind"] == exp["kind"]
        if exp["kind"] == "report":
            s.check("report.dossier", name, exp["dossier"], got.get("dossier") if same_kind else "(kind)")
            s.check("report.group", name, exp["group"], got.get("group") if same_kind else "(kind)")
            got_actions = got.get("actions", []) if same_kind else []
            s.check("report.action_types", name, sorted(a["type"] for a in exp["actions"]),
                    sorted(a["type"] for a in got_actions))
            key = lambda a: json.dumps(a, sort_keys=True)  # noqa: E731
            s.check("report.actions_exact", name, sorted(map(key, exp["actions"])), sorted(map(key, got_actions)))
            for e, g in _pair(exp["actions"], got_actions):
                for field in ("count", "amount_eur", "date"):
                    s.check(f"report.action.{field}", f"{name} {e['type']}", e[field],
                            g[field] if g else "(missing)")
        elif exp["kind"] == "signup":
            for field in ("name", "group", "dossier"):
                s.check(f"signup.{field}", name, exp[field], got.get(field) if same_kind else "(kind)")
        elif exp["kind"] == "unsubscribe":
            s.check("unsubscribe.scope", name, exp["scope"], got.get("scope") if same_kind else "(kind)")
        elif exp["kind"] == "bounce":
            s.check("bounce.recipients", name, sorted(exp.get("recipients") or []),
                    sorted(got.get("recipients") or []) if same_kind else "(kind)")
    return s, elapsed, len(raws) * repeat


def _types_and_counts(actions: list[dict]) -> dict[str, list]:
    by_type: dict[str, list] = {}
    for action in actions:
        by_type.setdefault(action["type"], []).append(action["count"])
    return {t: sorted(v, key=lambda c: (c is None, c or 0)) for t, v in by_type.items()}


def applied_right(exp: dict, got: dict) -> bool:
    """Issue 9: what makes an applied reading right, by kind."""
    if exp["kind"] != got["kind"]:
        return False
    if exp["kind"] == "report":
        return (exp["group"], exp["dossier"], _types_and_counts(exp["actions"])) == \
            (got.get("group"), got.get("dossier"), _types_and_counts(got.get("actions", [])))
    if exp["kind"] == "signup":
        return (exp["group"], exp["dossier"]) == (got.get("group"), got.get("dossier"))
    if exp["kind"] == "unsubscribe":
        return exp["scope"] == got.get("scope")
    return True


def decided(folder: Path, confirm_reports: bool = True) -> dict[str, dict]:
    """`mailer parse --json` of every message, against a throwaway store with the corpus's CSVs
    (`confirm_reports`: the `[inbox]` key, true by default as in the service)."""
    from mailer.config import load_config
    from mailer.inbound.pipeline import read_files
    from mailer.registry import import_file
    from mailer.sheets.importer import ImportKind
    from mailer.store import Store
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "config.toml"
        config_path.write_text(f'[team]\nname = "PLP"\naddress = "{TEAM}"\ncoordinators = ["coordination@example.org"]\n'
                               '[storage]\npath = "var/mailer.json"\n'
                               f'[inbox]\nconfirm_reports = {str(confirm_reports).lower()}\n', encoding="utf-8")
        config = load_config(config_path)
        store = Store(config.storage.path)
        for kind in (ImportKind.GROUPS, ImportKind.DOSSIERS, ImportKind.MEMBERS):
            import_file(store, kind, folder / f"{kind.value}.csv")
        names = sorted(load_expected(folder))
        out = {}
        for name, result in zip(names, read_files(config, store, ((folder / n).read_bytes() for n in names))):
            row = result.reading.to_json() if result.reading else {"kind": "error"}
            out[name] = {**row, "disposition": result.disposition, "applied": result.applied}
        return out


def outcomes(expected: dict[str, dict], got: dict[str, dict]) -> tuple[dict[str, float | int | None], list[str]]:
    """Issue 9's figures, and the applied readings that were wrong."""
    applied = right = triaged = ignored_real = tp = fp = fn = counts_ok = counts_total = 0
    wrong: list[str] = []
    for name, exp in expected.items():
        row = got[name]
        if row.get("applied", row["disposition"] == "apply"):   # or triaged beside what it applied
            applied += 1
            if applied_right(exp, row):
                right += 1
            else:
                wrong.append(f"{name}: expected {exp}, applied {row}")
        if row["disposition"] == "triage":
            triaged += 1
        elif row["disposition"] == "ignore" and exp["kind"] not in ("auto_reply", "bounce"):
            ignored_real += 1
            wrong.append(f"{name}: a real message ({exp['kind']}) ignored")
        if exp["kind"] == "report":
            read = row.get("actions", []) if row["kind"] == "report" else []
            want, have = Counter(a["type"] for a in exp["actions"]), Counter(a["type"] for a in read)
            common = sum((want & have).values())
            tp, fp, fn = tp + common, fp + sum(have.values()) - common, fn + sum(want.values()) - common
            have_counts = _types_and_counts(read)
            for kind, counts in _types_and_counts(exp["actions"]).items():
                pool = list(have_counts.get(kind, []))
                for count in counts:
                    counts_total += 1
                    if count in pool:
                        counts_ok += 1
                        pool.remove(count)
    n = len(expected)
    return {"applied": applied, "applied precision": right / applied if applied else None,
            "action recall": tp / (tp + fn) if tp + fn else None,
            "action-type F1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
            "counts right": counts_ok / counts_total if counts_total else None,
            "triage rate": triaged / n, "real messages ignored": ignored_real}, wrong


FIELDS = ("kind", "sender", "report.dossier", "report.group", "report.action_types", "report.action.count",
          "report.action.amount_eur", "report.action.date", "report.actions_exact", "signup.name", "signup.group",
          "signup.dossier", "unsubscribe.scope", "bounce.recipients")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="read the corpus N times for the msg/s figure")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--parsed", type=Path, default=None,
                        help="score this saved `mailer parse --json` output's dispositions instead of today's")
    args = parser.parse_args()
    s, elapsed, count = score(args.folder, args.repeat)
    print(f"corpus: {args.folder}")
    for field in FIELDS:
        if s.totals[field]:
            print(s.line(field))
    print(f"{'speed':<26} {count / elapsed:,.0f} msg/s ({1000 * elapsed / count:.2f} ms/msg, parse + read,"
          f" first read included)")
    expected = load_expected(args.folder)
    if args.parsed:
        got = {row["file"]: row for row in map(json.loads, filter(str.strip, args.parsed.open(encoding="utf-8")))}
    else:
        got = decided(args.folder)
    figures, wrong = outcomes(expected, got)
    if not args.parsed:
        # What the service asks volunteers to confirm (`[inbox] confirm_reports`): each such reading,
        # were it applied at once (`confirm_reports = false`), and how many of those are right.
        at_once = decided(args.folder, confirm_reports=False)
        asked = [n for n, row in got.items() if row["disposition"] == "triage" and at_once[n]["disposition"] == "apply"]
        figures["asked to confirm"] = len(asked)
        figures["their readings right"] = (sum(applied_right(expected[n], at_once[n]) for n in asked) / len(asked)
                                           if asked else None)
        figures["precision if applied at once"] = outcomes(expected, at_once)[0]["applied precision"]
    for name, value in figures.items():
        shown = "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
        print(f"{name:<30} {shown:>9}")
    if args.show_misses:
        for field in FIELDS:
            for miss in s.misses.get(field, []):
                print(f"  MISS {field}: {miss}")
        for miss in wrong:
            print(f"  WRONG {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
