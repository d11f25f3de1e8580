"""The data layer over a real store on disk: upserts, re-imports, suppressions, permissions, concurrency."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mailer import registry
from mailer.sheets.importer import ImportKind
from mailer.models import Member, SuppressionReason, SuppressionScope
from mailer.store import Store

FR_DEV = Path(__file__).parent / "data" / "fr-dev"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "var" / "mailer.json")


@pytest.fixture
def loaded(store: Store) -> Store:
    """A store holding the fr-dev groups, dossiers and members."""
    for kind in (ImportKind.GROUPS, ImportKind.DOSSIERS, ImportKind.MEMBERS):
        report = registry.import_file(store, kind, FR_DEV / f"{kind.value}.csv")
        assert report.complete, report.rejected
    return store


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_reference_data_loads_into_a_directory(loaded: Store) -> None:
    directory = registry.load_directory(loaded.snapshot())
    assert (len(directory.groups), len(directory.dossiers), len(directory.members)) == (11, 8, 13)
    assert directory.dossier("DI-2025-014").groups == ["G112", "G143"]
    assert directory.group("G071").city == "Saint-Étienne"
    assert directory.member("Gwenaelle.LeGoff@example.org").group == "G143"


def test_reimport_updates_without_duplicating_and_never_deletes(loaded: Store, tmp_path: Path) -> None:
    again = registry.import_file(loaded, ImportKind.MEMBERS, FR_DEV / "members.csv")
    assert (again.result.added, again.result.updated, again.result.unchanged) == (0, 0, 13)
    changed = write(tmp_path / "m.csv", "email;name;group\nBERNARD.FAURE@example.net;Bernard Faure;G112\n"
                                        "new@example.org;Nouvelle;\n", "cp1252")
    report = registry.import_file(loaded, ImportKind.MEMBERS, changed)
    assert (report.result.added, report.result.updated, report.result.unchanged) == (1, 1, 0)
    members = registry.load_directory(loaded.snapshot()).members
    assert len(members) == 14
    assert [m for m in members if m.email == "bernard.faure@example.net"] == [
        Member("bernard.faure@example.net", "Bernard Faure", "G112")]


def test_subscriber_status_and_date_survive_a_reimport(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "email,name\nanne@example.org,Anne\n")
    registry.import_file(store, ImportKind.SUBSCRIBERS, path)
    first = registry.subscribers(store.snapshot())[0]
    assert first.status == "active" and first.since.endswith("+00:00")
    registry.import_file(store, ImportKind.SUBSCRIBERS, write(path, "email,name\nANNE@example.org,Anne D.\n"))
    (again,) = registry.subscribers(store.snapshot())
    assert (again.name, again.since) == ("Anne D.", first.since)


def test_suppressed_addresses_are_not_resurrected_by_an_import(loaded: Store, tmp_path: Path) -> None:
    registry.suppress(loaded, "Bernard.Faure@example.net", SuppressionReason.BOUNCE, source="<bounce@x>")
    registry.suppress(loaded, "anne@example.org", SuppressionReason.UNSUBSCRIBE, SuppressionScope.BULLETIN)
    path = write(tmp_path / "s.csv", "email,name\nbernard.faure@example.net,Bernard\nanne@example.org,Anne\n"
                                     "zoe@example.org,Zoé\n")
    report = registry.import_file(loaded, ImportKind.SUBSCRIBERS, path)
    members = registry.import_file(loaded, ImportKind.MEMBERS, FR_DEV / "members.csv")
    assert (report.result.added, report.result.suppressed) == (3, 2)
    assert members.result.suppressed == 1
    blocked = registry.suppression_map(loaded.snapshot())
    assert sorted(blocked) == ["anne@example.org", "bernard.faure@example.net"]
    assert blocked["bernard.faure@example.net"].reason == "bounce"


def test_suppress_is_idempotent_widens_scope_and_is_audited(store: Store) -> None:
    first = registry.suppress(store, "Anne@Example.org", SuppressionReason.UNSUBSCRIBE,
                              SuppressionScope.BULLETIN, source="msg-1")
    again = registry.suppress(store, "anne@example.org", SuppressionReason.UNSUBSCRIBE,
                              SuppressionScope.BULLETIN, source="msg-2")
    assert again == first                                  # the record is kept as it was
    wider = registry.suppress(store, "ANNE@example.org", SuppressionReason.COMPLAINT, source="arf-1")
    narrower = registry.suppress(store, "anne@example.org", SuppressionReason.UNSUBSCRIBE,
                                 SuppressionScope.BULLETIN, source="msg-3")
    assert (wider.scope, wider.reason, wider.source) == ("all", "complaint", "arf-1")
    assert narrower == wider                               # a narrower request never shrinks it
    snapshot = store.snapshot()
    assert list(registry.suppression_map(snapshot)) == ["anne@example.org"]
    events = registry.suppression_events(snapshot)
    assert [e["action"] for e in events] == ["suppress", "repeat", "upgrade", "repeat"]
    assert [e["source"] for e in events] == ["msg-1", "msg-2", "arf-1", "msg-3"]
    assert all(e["date"].endswith("+00:00") for e in events)


def test_unsuppress_lifts_and_records_who(store: Store) -> None:
    registry.suppress(store, "jean@Exämple.fr", SuppressionReason.ERASED)
    lifted = registry.unsuppress(store, "JEAN@xn--exmple-cua.fr", by="claire")
    assert (lifted.email, lifted.reason) == ("jean@xn--exmple-cua.fr", "erased")
    snapshot = store.snapshot()
    assert registry.suppression_map(snapshot) == {}
    last = registry.suppression_events(snapshot)[-1]
    assert (last["action"], last["by"], last["email"]) == ("unsuppress", "claire", "jean@xn--exmple-cua.fr")
    with pytest.raises(registry.NotSuppressedError, match="not on the suppression list"):
        registry.unsuppress(store, "jean@xn--exmple-cua.fr", by="claire")


def test_subscribers_by_hand(store: Store) -> None:
    added = registry.add_subscriber(store, " Anne@Example.org ", "Anne")
    assert (added.email, added.name, added.status) == ("anne@example.org", "Anne", "active")
    renamed = registry.add_subscriber(store, "anne@example.org")           # no name: keeps the old one
    assert renamed.name == "Anne" and len(registry.subscribers(store.snapshot())) == 1
    with pytest.raises(registry.InvalidValueError, match="not a valid address"):
        registry.add_subscriber(store, "anne.example.org")
    with pytest.raises(registry.InvalidValueError, match="control character"):
        registry.add_subscriber(store, "bob@example.org", "Bob\r\nBcc: all@example.org")
    removed = registry.remove_subscriber(store, "ANNE@example.org")
    assert removed.email == "anne@example.org"
    snapshot = store.snapshot()
    assert registry.subscribers(snapshot) == [] and registry.suppression_map(snapshot) == {}
    with pytest.raises(registry.NotSubscribedError):
        registry.remove_subscriber(store, "anne@example.org")


def test_store_is_private_after_an_import(loaded: Store) -> None:
    assert stat.S_IMODE(loaded.directory_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(loaded.folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in loaded.folder.iterdir())


def test_rejected_rows_leave_the_store_untouched_when_nothing_is_valid(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "email,name,group\nbad,X,\n")
    report = registry.import_file(store, ImportKind.MEMBERS, path)
    assert not report.complete and report.rows == 1
    assert not store.path.exists() and not store.directory_path.exists()


IMPORTER = """
import sys
from pathlib import Path
from mailer import registry
from mailer.store import Store
store = Store(Path(sys.argv[1]))
for name in sys.argv[2:]:
    registry.import_file(store, "members", Path(name))
"""


def test_two_processes_importing_at_once_keep_every_row(store: Store, tmp_path: Path) -> None:
    """Each process imports 6 files of 300 members; the lock must serialise all 12 transactions."""
    batches: list[list[str]] = [[], []]
    for proc in range(2):
        for batch in range(6):
            rows = "".join(f"p{proc}.b{batch}.n{i}@example.org,Personne {i},\n" for i in range(300))
            path = write(tmp_path / f"p{proc}-{batch}.csv", "email,name,group\n" + rows)
            batches[proc].append(str(path))
    procs = [subprocess.Popen([sys.executable, "-c", IMPORTER, str(store.path), *files]) for files in batches]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    data = json.loads(store.directory_path.read_text(encoding="utf-8"))
    emails = [doc["email"] for doc in data["members"].values()]
    assert len(emails) == len(set(emails)) == 2 * 6 * 300
    assert len(data["members"]) == 3600


def test_a_reimport_writes_only_the_columns_the_file_has(loaded: Store, tmp_path: Path) -> None:
    before = registry.load_directory(loaded.snapshot()).dossier("DI-2025-014")
    path = write(tmp_path / "d.csv", "Référence;Personne;Statut\ndi-2025-014;Leïla Sadeghi;suspendu\n", "cp1252")
    report = registry.import_file(loaded, ImportKind.DOSSIERS, path)
    assert (report.result.updated, report.kept) == (1, ("country", "referent_email", "groups", "summary", "outcome",
                                                        "public"))
    after = registry.load_directory(loaded.snapshot()).dossier("DI-2025-014")
    assert after.status == "suspended"
    assert (after.country, after.referent_email, after.groups) == (before.country, before.referent_email, before.groups)
    assert len(registry.load_directory(loaded.snapshot()).dossiers) == 8          # matched, not duplicated


def test_codes_are_matched_in_any_case_and_stored_in_upper_case(store: Store, tmp_path: Path) -> None:
    with store.transaction() as tx:
        tx.raw("groups")["1"] = {"code": "g021", "name": "Groupe 21", "kind": "groupe_local", "city": "", "email": ""}
    assert registry.load_directory(store.snapshot()).groups[0].code == "G021"     # an old store, read
    report = registry.import_file(store, ImportKind.GROUPS, write(tmp_path / "g.csv", "code;name;kind\nG021;G 21;"
                                                                                      "groupe_local\n"))
    assert (report.result.added, report.result.updated) == (0, 1)
    assert [d["code"] for d in store.snapshot().docs("groups")] == ["G021"]
    path = write(tmp_path / "m.csv", "email;group\na@example.org;g021\n")
    members = registry.import_file(store, ImportKind.MEMBERS, path)
    assert members.complete and store.snapshot().docs("members")[0]["group"] == "G021"


def test_a_file_never_activates_a_pending_subscriber(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "email;status\na@example.org;pending\n")
    registry.import_file(store, ImportKind.SUBSCRIBERS, path)
    (sub,) = registry.subscribers(store.snapshot())
    assert (sub.status, sub.since[:2]) == ("pending", "20")
    report = registry.import_file(store, ImportKind.SUBSCRIBERS,
                                  write(tmp_path / "s.csv", "email;name;status;since\na@example.org;Anne;active;\n"))
    assert report.result.held == ("a@example.org",)
    assert [str(w) for w in report.warnings] == [
        "line 2: a@example.org waits for its double opt-in confirmation: the file's status 'active' is not applied "
        "(the person confirms by mail, or: mailer subscribers add a@example.org)"]
    (again,) = registry.subscribers(store.snapshot())
    assert (again.name, again.status, again.since) == ("Anne", "pending", sub.since)   # empty date: kept


def test_records_of_counts_what_erase_would_delete(loaded: Store) -> None:
    registry.add_subscriber(loaded, "claire.vasseur@example.org")
    assert registry.records_of(loaded.snapshot(), "Claire.Vasseur@example.org") == {"members": 1, "subscribers": 1}
    # the member and the subscriber, and the consent each came with (the import's, the command's)
    assert registry.erase(loaded, "claire.vasseur@example.org", by="dpo") == 4


@pytest.mark.parametrize("address", [
    "Ab+Cd@Sub.Example.COM", "x@EXAMPLE.ORG", "a@xn--bcher-kva.ch", "A@XN--BCHER-KVA.CH",
    "a..b@x.com", ".a@x.com", "a@-x.com", "a@x..com", "a@localhost", "o'neil@example.fr",
    '"Quoted"@example.com', "ünï@bücher.ch", "a@bücher.CH", "  padded@x.org "])
def test_the_suppression_key_is_the_validators_whatever_path_computes_it(address: str) -> None:
    """canonical_email skips the validator for plain ASCII addresses: the key must not change."""
    from email_validator import EmailNotValidError, validate_email
    text = address.strip()
    try:
        expected = validate_email(text, check_deliverability=False).ascii_email or text
    except EmailNotValidError:
        expected = text
    assert registry.canonical_email(address) == expected.lower()
