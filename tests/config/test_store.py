"""The data store: call log, voicemail index, presence, security events, crash recovery."""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from drivers.errors import StorageError
from firmware.store import SCHEMA_VERSION, Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class Wall:
    """A settable wall clock standing in for the injected clock's wall()."""

    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def store(tmp_path: Path, wall: Wall) -> Store:
    s = Store(tmp_path / "data" / "switchboard.db", wall=wall)
    yield s
    s.close()


def test_pragmas_and_schema_version(store: Store):
    db = store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2          # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == SCHEMA_VERSION


def test_reopen_keeps_data_and_refuses_newer_schema(tmp_path: Path, wall: Wall):
    path = tmp_path / "s.db"
    s = Store(path, wall=wall)
    s.put("night", {"forced": "night"})
    s.close()
    s = Store(path, wall=wall)
    assert s.get("night") == {"forced": "night"}
    s._execute("UPDATE schema_version SET version = 99")
    s.close()
    with pytest.raises(StorageError, match="newer Switchboard"):
        Store(path, wall=wall)


def test_a_caller_rings_is_answered_and_hangs_up(store: Store, wall: Wall):
    store.call_started("c1", "in", line="line1", caller_number="5551234", caller_name="ACME")
    wall.t += timedelta(seconds=4)
    store.call_answered("c1", extension="201")
    wall.t += timedelta(seconds=60)
    store.call_ended("c1", "answered", reason="caller_hung_up")
    [row], total = store.query_calls()
    assert total == 1
    assert row["started_at"] == "2026-01-05T09:00:00Z" and row["answered_at"] == "2026-01-05T09:00:04Z"
    assert (row["duration_s"], row["talk_s"], row["extension"], row["disposition"]) == (64.0, 60.0, "201", "answered")


def test_crash_recovery_closes_open_calls(tmp_path: Path, wall: Wall):
    path = tmp_path / "s.db"
    s = Store(path, wall=wall)
    s.call_started("c1", "in", line="line1")
    s.call_started("c2", "internal", extension="200")
    s.call_answered("c2")
    s.call_started("c3", "out", line="line2")
    s.call_ended("c3", "answered")
    s._db.close()                                      # the daemon dies without closing anything
    wall.t += timedelta(minutes=5)
    s = Store(path, wall=wall)
    assert [c["ref"] for c in s.open_calls()] == ["c1", "c2"]
    assert s.end_interrupted_calls() == 2
    assert s.open_calls() == []
    rows = {r["ref"]: r for r in s.query_calls()[0]}
    assert rows["c1"]["disposition"] == "interrupted" and rows["c1"]["ended_reason"] == "restart"
    assert rows["c1"]["ended_at"] == "2026-01-05T09:05:00Z"
    assert rows["c3"]["disposition"] == "answered"
    assert s.end_interrupted_calls() == 0


def test_engine_end_of_call_record(store: Store):
    start = T0.timestamp()
    store.log_call({"call": "c7", "started": start, "seconds": 42.5, "direction": "in", "port": "fxo2",
                    "caller_number": "5550100", "caller_name": None,
                    "legs": [{"port": "fxo2", "direction": "in", "extension": None, "end": "caller"},
                             {"port": "fxs3", "direction": "internal", "extension": "202", "end": "far"}]})
    [row], _ = store.query_calls()
    assert (row["line"], row["extension"], row["disposition"], row["duration_s"]) == ("fxo2", "202", "answered", 42.5)
    assert row["detail"]["legs"][1]["port"] == "fxs3"


def test_log_call_completes_an_open_row(store: Store):
    store.call_started("c8", "in", line="line1", caller_number="555")
    store.log_call({"call": "c8", "started": T0.timestamp(), "seconds": 10, "disposition": "voicemail",
                    "legs": [{"port": "fxo1"}]})
    rows, total = store.query_calls()
    assert total == 1 and rows[0]["disposition"] == "voicemail" and rows[0]["line"] == "line1"


def test_query_filters_and_paging(store: Store, wall: Wall):
    for i in range(30):
        wall.t = T0 + timedelta(hours=i)
        store.call_started(f"c{i}", "in", line=f"line{1 + i % 2}", extension=f"20{i % 4}",
                           caller_number=f"555{i:04d}", caller_name="Smith_%" if i == 7 else "Jones")
        store.call_ended(f"c{i}", "answered" if i % 3 else "voicemail")
    rows, total = store.query_calls(limit=10, offset=10)
    assert total == 30 and len(rows) == 10 and rows[0]["ref"] == "c19"
    rows, total = store.query_calls(start="2026-01-06", end="2026-01-06T12:00:00Z")
    assert total == 12 and {r["ref"] for r in rows} == {f"c{i}" for i in range(15, 27)}
    assert store.query_calls(line="line2", extension="201")[1] == 8
    assert store.query_calls(caller="5550007")[1] == 1
    assert [r["ref"] for r in store.query_calls(caller="_%")[0]] == ["c7"]     # LIKE wildcards are literal
    assert store.query_calls(disposition="voicemail")[1] == 10
    with pytest.raises(StorageError, match="not a date"):
        store.query_calls(start="yesterday")


def test_bad_values_are_refused(store: Store):
    with pytest.raises(StorageError):
        store.call_started("c1", "sideways")
    store.call_started("c1", "in")
    with pytest.raises(StorageError, match="refused"):
        store.call_started("c1", "in")                 # the same call twice
    with pytest.raises(StorageError):
        store.call_ended("c1", "exploded")


def test_voicemail_index_and_mwi(store: Store, tmp_path: Path):
    files = []
    for i, box in enumerate(["201", "201", "202"]):
        f = tmp_path / f"msg{i}.wav"
        f.write_bytes(b"RIFF")
        files.append(f)
        store.add_message(box, f, duration_s=12.5, caller_number="555")
    assert store.mwi_counts() == {"201": {"new": 2, "saved": 0, "total": 2}, "202": {"new": 1, "saved": 0, "total": 1}}
    first = store.messages("201")[-1]
    assert store.mark_message(first["id"], heard=True, folder="saved")
    assert store.mwi_counts()["201"] == {"new": 1, "saved": 1, "total": 2}
    assert store.message(first["id"])["heard"] is True
    assert store.delete_message(first["id"]) and not files[0].exists()
    assert not store.delete_message(first["id"])
    assert not store.mark_message(999, heard=True)
    files[1].unlink()
    assert [m["path"] for m in store.missing_message_files()] == [str(files[1])]
    with pytest.raises(StorageError):
        store.mark_message(2, folder="trash")


def test_message_foreign_key_to_calls(store: Store):
    call_id = store.call_started("c1", "in")
    store.add_message("201", "/x/1.wav", duration_s=1, call_id=call_id)
    with pytest.raises(StorageError):
        store.add_message("201", "/x/2.wav", duration_s=1, call_id=12345)


def test_presence_expires(store: Store, wall: Wall):
    store.set_presence("201", "lunch", note="back at 1", until=T0 + timedelta(hours=1))
    assert store.presence()["201"]["state"] == "lunch"
    wall.t += timedelta(hours=2)
    assert store.presence()["201"] == {"state": "available", "note": None, "until": None,
                                       "updated_at": "2026-01-05T09:00:00Z"}
    with pytest.raises(StorageError):
        store.set_presence("201", "asleep")


def test_security_events_count_for_lockout(store: Store, wall: Wall):
    for _ in range(3):
        store.log_security("pin_failed", mailbox="201", caller="5550100", detail={"digits": 4})
        wall.t += timedelta(seconds=10)
    store.log_security("pin_failed", mailbox="202")
    assert store.count_security("pin_failed", mailbox="201", since=T0) == 3
    assert store.count_security("pin_failed", mailbox="201", since=T0 + timedelta(seconds=15)) == 1
    assert store.count_security("pin_failed") == 4
    assert store.security_events(mailbox="201")[0]["detail"] == '{"digits": 4}'


def test_threads_share_the_store(store: Store):
    errors = []

    def worker(n: int) -> None:
        try:
            for i in range(20):
                store.call_started(f"t{n}-{i}", "internal")
        except Exception as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == [] and store.query_calls()[1] == 80
    with store.reader() as db:
        assert db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 80
        with pytest.raises(sqlite3.OperationalError):
            db.execute("DELETE FROM calls")


def test_memory_store_for_tests():
    s = Store(":memory:")
    s.put("k", [1, 2])
    assert s.get("k") == [1, 2] and s.get("missing", 5) == 5
    s.close()
    with pytest.raises(StorageError, match="closed"):
        s.get("k")


def test_deferred_writes_run_in_order_off_the_caller_thread(store: Store, caplog):
    threads = []
    real = store.call_started

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    store.call_started = spy
    store.later.call_started("c1", "in", line="line1")
    store.later.call_ended("c1", "answered")
    store.later.call_ended("c1", "exploded")            # fails: logged, the rest goes on
    store.later.log_security("pin_failed", mailbox="201")
    assert store.later.flush(timeout=5)
    assert threads == ["store-writer"]
    [row], _ = store.query_calls()
    assert row["disposition"] == "answered" and store.count_security("pin_failed") == 1
    assert store.later.failures == 1 and "call_ended failed" in caplog.text


def test_close_finishes_deferred_writes_and_joins_the_writer(tmp_path: Path, wall: Wall):
    s = Store(tmp_path / "s.db", wall=wall)
    for i in range(20):
        s.later.call_started(f"c{i}", "internal")
    s.close()
    assert not any(t.name == "store-writer" for t in threading.enumerate())
    s = Store(tmp_path / "s.db", wall=wall)
    assert s.query_calls()[1] == 20
    s.close()


def test_database_is_migrated_forward_on_open(tmp_path: Path, wall: Wall, monkeypatch):
    import firmware.store as store_module

    path = tmp_path / "s.db"
    s = Store(path, wall=wall)
    s.call_started("c1", "in")
    s.close()
    v2 = store_module.MIGRATIONS + ["ALTER TABLE calls ADD COLUMN note TEXT; CREATE INDEX calls_note ON calls (note)"]
    monkeypatch.setattr(store_module, "MIGRATIONS", v2)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", len(v2))
    s = Store(path, wall=wall)
    assert s.schema_version == len(v2)
    assert s.query_calls()[0][0]["note"] is None                # old rows kept, new column there
    s.close()


def test_a_failed_migration_changes_nothing(tmp_path: Path, wall: Wall, monkeypatch):
    import firmware.store as store_module

    path = tmp_path / "s.db"
    Store(path, wall=wall).close()
    bad = store_module.MIGRATIONS + ["ALTER TABLE calls ADD COLUMN note TEXT; THIS IS NOT SQL"]
    monkeypatch.setattr(store_module, "MIGRATIONS", bad)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", len(bad))
    with pytest.raises(StorageError):
        Store(path, wall=wall)
    monkeypatch.undo()
    s = Store(path, wall=wall)
    assert s.schema_version == SCHEMA_VERSION
    cols = [r[1] for r in s._db.execute("PRAGMA table_info(calls)")]
    assert "note" not in cols
    s.close()


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path):
    path = tmp_path / "switchboard.db"
    path.write_bytes(b"this is not an SQLite database, it is a text file of some length" * 4)
    with pytest.raises(StorageError, match="cannot open the database .*not a database"):
        Store(path)


def test_a_copy_from_a_newer_switchboard_is_refused(tmp_path: Path, wall: Wall):
    from firmware.store.restore import check_copy

    newer = Store(tmp_path / "newer.db", wall=wall)
    newer._execute("UPDATE schema_version SET version = 99")
    newer.close()
    live = Store(tmp_path / "live.db", wall=wall)
    with pytest.raises(StorageError, match="newer Switchboard"):
        live.restore_from(tmp_path / "newer.db")
    assert check_copy(tmp_path / "live.db") == SCHEMA_VERSION
    live.close()


def test_housekeeping(store: Store, wall: Wall, tmp_path: Path):
    call_id = store.call_started("old", "in", at=T0 - timedelta(days=400))
    store.call_ended("old", "voicemail", at=T0 - timedelta(days=400))
    store.call_started("open", "in", at=T0 - timedelta(days=400))         # still open: never pruned
    store.call_started("new", "in")
    msg = store.add_message("201", tmp_path / "m.wav", duration_s=3, call_id=call_id,
                            received_at=T0 - timedelta(days=40))
    store.mark_message(msg, folder="saved")
    store.log_security("pin_failed", mailbox="201", at=T0 - timedelta(days=100))
    store.log_security("pin_failed", mailbox="201")
    assert store.prune(calls_before=T0 - timedelta(days=365), security_before=T0 - timedelta(days=90)) == {
        "calls": 1, "security_events": 1}
    assert sorted(c["ref"] for c in store.query_calls()[0]) == ["new", "open"]
    assert store.message(msg)["call_id"] is None                          # the message stays
    assert [m["id"] for m in store.saved_messages_before(T0 - timedelta(days=30))] == [msg]
    assert store.saved_messages_before(T0 - timedelta(days=60)) == []
