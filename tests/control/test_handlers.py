"""config.*, calllog.query and voicemail.* through a real socket, over a real store and a config file."""
from __future__ import annotations

import base64
import copy
from pathlib import Path

import pytest
import yaml

from drivers.errors import ControlError
from firmware import config
from firmware.control import ConfigService, ControlClient, ControlServer, register_store_commands
from firmware.control.fake_world import tone_wav
from firmware.store import Store


@pytest.fixture
def office_path(tmp_path: Path) -> Path:
    p = tmp_path / "office.yaml"
    config.save(p, config.load().document)
    return p


@pytest.fixture
def daemon(loop_thread, sockdir, tmp_path, office_path):
    """A server with the store commands, as the daemon wires them; ``applied`` records on_change calls."""
    store = Store(tmp_path / "switchboard.db", wall=loop_thread.clock.wall)
    srv = ControlServer(sockdir / "control.sock", clock=loop_thread.clock)
    applied: list[config.Config] = []
    service = ConfigService(config.load(office_path), office_path, publish=srv.publish, on_change=applied.append)
    register_store_commands(srv.registry, store=store, config_service=service, publish=srv.publish)
    loop_thread.run(srv.start())
    client = ControlClient(srv.path)
    yield client, store, service, applied
    client.close()
    loop_thread.run(srv.stop())
    store.close()


def test_config_get(daemon, office_path):
    client, *_ = daemon
    got = client.call("config.get")
    assert got["document"]["office"]["name"] == "Example Office"
    assert got["revision"] == config.load(office_path).revision
    assert got["path"] == str(office_path) and got["load_errors"] == []
    assert "properties" in client.call("config.schema")


def test_config_validate_names_paths(daemon):
    client, *_ = daemon
    doc = client.call("config.get")["document"]
    assert client.call("config.validate", document=doc) == {"ok": True, "errors": [], "warnings": []}
    doc2 = copy.deepcopy(doc)
    doc2["menus"]["orphan"] = {"greeting": {"day": "greeting-day"}}
    assert client.call("config.validate", document=doc2)["warnings"][0]["path"] == "menus.orphan"
    doc["extensions"][1]["phone"] = "fxs9"
    result = client.call("config.validate", document=doc)
    assert result["ok"] is False and result["errors"][0]["path"] == "extensions[1].phone"


def test_config_put_saves_applies_and_announces(daemon, office_path):
    client, _store, service, applied = daemon
    got = client.call("config.get")
    doc = copy.deepcopy(got["document"])
    doc["office"]["name"] = "Acme Plumbing"
    with client.events(kinds=["config"]) as stream:
        result = client.call("config.put", document=doc, base_revision=got["revision"])
        event = stream.next(timeout=5)
    assert result["saved"] is True and result["applied"] is True and result["revision"] != got["revision"]
    assert event["data"]["revision"] == result["revision"]
    assert config.load(office_path).office_name == "Acme Plumbing"
    assert [c.office_name for c in applied] == ["Acme Plumbing"]
    assert client.call("config.get")["revision"] == result["revision"]


def test_stale_put_is_refused_and_nothing_is_lost(daemon, office_path):
    client, *_ = daemon
    base = client.call("config.get")
    mine, theirs = copy.deepcopy(base["document"]), copy.deepcopy(base["document"])
    theirs["operator"] = "201"
    client.call("config.put", document=theirs, base_revision=base["revision"])
    saved = office_path.read_bytes()
    mine["office"]["name"] = "My stale edit"
    with pytest.raises(ControlError) as exc:
        client.call("config.put", document=mine, base_revision=base["revision"])
    assert exc.value.code == "stale" and exc.value.details["revision"] != base["revision"]
    assert office_path.read_bytes() == saved
    assert client.call("config.get")["document"]["operator"] == "201"


def test_invalid_put_is_refused_with_paths(daemon, office_path):
    client, *_ = daemon
    base = client.call("config.get")
    doc = copy.deepcopy(base["document"])
    doc["menus"]["main"]["options"]["3"] = {"action": "extension", "target": "299"}
    before = office_path.read_bytes()
    with pytest.raises(ControlError) as exc:
        client.call("config.put", document=doc, base_revision=base["revision"])
    assert exc.value.code == "invalid"
    assert exc.value.details["errors"][0]["path"] == "menus.main.options.3.target"
    assert office_path.read_bytes() == before
    doc = copy.deepcopy(base["document"])
    del doc["schema_version"]
    with pytest.raises(ControlError) as exc:
        client.call("config.put", document=doc, base_revision=base["revision"])
    assert exc.value.code == "invalid"


def test_put_that_cannot_be_written_keeps_the_running_config(daemon, office_path, monkeypatch):
    client, _store, service, applied = daemon
    base = client.call("config.get")
    doc = copy.deepcopy(base["document"])
    doc["office"]["name"] = "Never saved"

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("firmware.config.yamlio.os.fsync", full_disk)
    with pytest.raises(ControlError) as exc:
        client.call("config.put", document=doc, base_revision=base["revision"])
    monkeypatch.undo()
    assert exc.value.code == "storage" and "No space" in str(exc.value)
    assert service.config.revision == base["revision"] and applied == []
    assert yaml.safe_load(office_path.read_text())["office"]["name"] == "Example Office"


def test_apply_failure_is_reported_but_saved(loop_thread, sockdir, tmp_path, office_path):
    def refuse(_cfg):
        raise RuntimeError("port fxs9 missing")

    srv = ControlServer(sockdir / "c.sock", clock=loop_thread.clock)
    store = Store(":memory:")
    service = ConfigService(config.load(office_path), office_path, on_change=refuse)
    register_store_commands(srv.registry, store=store, config_service=service)
    loop_thread.run(srv.start())
    try:
        with ControlClient(srv.path) as client:
            base = client.call("config.get")
            result = client.call("config.put", document=base["document"] | {"operator": "202"},
                                 base_revision=base["revision"])
            assert result["saved"] and not result["applied"] and "next restart" in result["warning"]
    finally:
        loop_thread.run(srv.stop())
        store.close()


def test_calllog_query(daemon):
    client, store, *_ = daemon
    for i in range(7):
        store.call_started(f"c{i}", "in", line="line1" if i < 5 else "line2", extension="201",
                           caller_number=f"55501{i:02d}", at=f"2026-01-0{i + 1}T10:00:00Z")
        store.call_ended(f"c{i}", "answered", at=f"2026-01-0{i + 1}T10:05:00Z")
    page = client.call("calllog.query", limit=3, offset=0)
    assert page["total"] == 7 and [c["ref"] for c in page["calls"]] == ["c6", "c5", "c4"]
    assert client.call("calllog.query", line="line2")["total"] == 2
    assert client.call("calllog.query", start="2026-01-02", end="2026-01-04")["total"] == 2
    assert client.call("calllog.query", caller="5550103")["calls"][0]["ref"] == "c3"
    with pytest.raises(ControlError) as exc:
        client.call("calllog.query", direction="sideways")
    assert exc.value.code == "invalid_args"
    with pytest.raises(ControlError) as exc:
        client.call("calllog.query", start="last tuesday")
    assert exc.value.code == "invalid_args" and "args.start" in str(exc.value)


def test_calllog_query_sees_a_call_still_queued_for_the_writer(daemon, monkeypatch):
    """The engine logs calls through the writer thread; a query right after the hang-up must still see it."""
    import threading
    client, store, *_ = daemon
    gate = threading.Event()
    real_started = store.call_started

    def slow_started(*args, **kwargs):
        gate.wait(5)                   # a slow disk: the write is still in the queue when the query comes
        return real_started(*args, **kwargs)

    monkeypatch.setattr(store, "call_started", slow_started)
    store.later.call_started("late", "in", line="line1", caller_number="5550199", at="2026-01-09T10:00:00Z")
    threading.Timer(0.2, gate.set).start()
    page = client.call("calllog.query", limit=1)
    assert [c["ref"] for c in page["calls"]] == ["late"]


def test_voicemail_commands(daemon, tmp_path):
    client, store, *_ = daemon
    audio = tone_wav(1.0)                                           # 16 kB: several chunks of 5000
    path = tmp_path / "201-1.wav"
    path.write_bytes(audio)
    msg_id = store.add_message("201", path, duration_s=1.0, caller_number="5550100", caller_name="ACME")
    listing = client.call("voicemail.list", mailbox="201")
    assert listing["counts"]["201"]["new"] == 1
    [msg] = listing["messages"]
    assert msg["id"] == msg_id and "path" not in msg and msg["size"] == len(audio)
    assert client.call("voicemail.get", id=msg_id)["caller_name"] == "ACME"
    data, offset = b"", 0
    while offset is not None:
        chunk = client.call("voicemail.audio", id=msg_id, offset=offset, length=5000)
        data += base64.b64decode(chunk["data"])
        offset = chunk["next_offset"]
    assert data == audio
    with client.events(kinds=["voicemail"]) as stream:
        marked = client.call("voicemail.mark", id=msg_id, heard=True, folder="saved")
        assert marked["heard"] is True and marked["folder"] == "saved"
        assert stream.next(timeout=5)["data"] == {"mailbox": "201", "new": 0, "saved": 1}
        assert client.call("voicemail.delete", id=msg_id) == {"id": msg_id, "deleted": True}
        assert stream.next(timeout=5)["data"] == {"mailbox": "201", "new": 0, "saved": 0}
    assert not path.exists()
    for cmd in ("voicemail.get", "voicemail.delete", "voicemail.audio"):
        with pytest.raises(ControlError) as exc:
            client.call(cmd, id=msg_id)
        assert exc.value.code == "not_found"
    with pytest.raises(ControlError) as exc:
        client.call("voicemail.mark", id="one")
    assert exc.value.code == "invalid_args"


def test_a_hand_edit_on_disk_is_not_overwritten(daemon, office_path):
    client, _store, service, applied = daemon
    base = client.call("config.get")
    by_hand = yaml.safe_load(office_path.read_text())
    by_hand["office"]["name"] = "Edited by hand"
    config.save(office_path, by_hand)
    mine = copy.deepcopy(base["document"])
    mine["operator"] = "201"
    with pytest.raises(ControlError) as exc:
        client.call("config.put", document=mine, base_revision=base["revision"])
    assert exc.value.code == "stale" and "config.reload" in str(exc.value)
    assert yaml.safe_load(office_path.read_text())["office"]["name"] == "Edited by hand"
    reloaded = client.call("config.reload")
    assert applied[-1].office_name == "Edited by hand"
    mine = client.call("config.get")["document"]
    mine["operator"] = "201"
    client.call("config.put", document=mine, base_revision=reloaded["revision"])
    saved = yaml.safe_load(office_path.read_text())
    assert (saved["office"]["name"], saved["operator"]) == ("Edited by hand", "201")


def test_a_broken_file_on_disk_is_kept_before_the_web_page_fixes_it(daemon, office_path):
    client, *_ = daemon
    base = client.call("config.get")
    office_path.write_text("office: [broken\n")
    with pytest.raises(ControlError) as exc:
        client.call("config.reload")
    assert exc.value.code == "invalid" and exc.value.details["errors"][0]["path"].startswith("line")
    client.call("config.put", document=base["document"], base_revision=base["revision"])
    assert (office_path.parent / "office.yaml.rejected").read_text() == "office: [broken\n"
    assert config.load(office_path).revision == base["revision"]



def backup_copy(store: Store, dest: Path) -> None:
    """What the web UI's backup does: an online copy through SQLite's backup API."""
    import sqlite3

    target = sqlite3.connect(dest)
    with store.reader() as db:
        db.backup(target)
    target.close()


def test_store_restore_swaps_in_a_backup_copy(daemon, tmp_path):
    client, store, *_ = daemon
    store.call_started("before", "in")
    store.add_message("201", tmp_path / "a.wav", duration_s=2)
    pending = tmp_path / "restore-pending" / "switchboard.db"
    pending.parent.mkdir()
    backup_copy(store, pending)
    store.call_started("after", "in")                      # made after the backup: gone after the restore
    with client.events(kinds=["store", "voicemail"]) as stream:
        assert client.call("store.restore", path=str(pending)) == {"restored": True, "schema_version": 1}
        assert stream.next(timeout=5)["event"] == "store"
        assert stream.next(timeout=5)["data"] == {"mailbox": "201", "new": 1, "saved": 0}
    assert [c["ref"] for c in client.call("calllog.query")["calls"]] == ["before"]
    assert not pending.exists()


@pytest.mark.parametrize("content, reason", [
    (b"just text, not a database at all" * 10, "not a usable database"),
    (None, "not a Switchboard database"),
])
def test_store_restore_refuses_what_is_not_our_database(daemon, tmp_path, content, reason):
    import sqlite3

    client, store, *_ = daemon
    store.call_started("kept", "in")
    bad = tmp_path / "restore-pending" / "other.db"
    bad.parent.mkdir()
    if content is None:
        db = sqlite3.connect(bad)
        db.execute("CREATE TABLE contacts (name TEXT)")
        db.commit()
        db.close()
    else:
        bad.write_bytes(content)
    with pytest.raises(ControlError) as exc:
        client.call("store.restore", path=str(bad))
    assert exc.value.code == "storage" and reason in str(exc.value)
    assert client.call("calllog.query")["calls"][0]["ref"] == "kept"


def test_store_restore_only_from_the_data_directory(daemon, tmp_path, sockdir):
    client, store, *_ = daemon
    outside = sockdir / "elsewhere.db"
    backup_copy(store, outside)
    with pytest.raises(ControlError) as exc:
        client.call("store.restore", path=str(outside))
    assert exc.value.code == "storage" and "must be placed under" in str(exc.value)
