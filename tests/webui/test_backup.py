"""Backup and restore: one archive; a corrupt, tampered or newer archive is refused and the box is unchanged."""
from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile

import pytest

from webui_helpers import post


def snapshot_box(app, fake) -> tuple:
    files = {}
    for root, _, names in os.walk(app.config["DATA_DIR"]):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                files[os.path.relpath(path, app.config["DATA_DIR"])] = fh.read()
    return fake.call("config.get")["revision"], files


def download(client) -> bytes:
    with client.get("/settings/backup") as resp:
        assert resp.status_code == 200 and resp.mimetype == "application/gzip"
        return resp.get_data()


def restore(client, data: bytes, name: str = "backup.tar.gz"):
    return post(client, "/settings/restore", {"archive": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def rebuild(archive: bytes, change) -> bytes:
    """Unpack, let ``change(members: dict)`` edit, pack again."""
    members = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for info in tar:
            members[info.name] = tar.extractfile(info).read()
    change(members)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def box(logged_in, app):
    """A box with a recording, a mailbox greeting and a small database in its data folder."""
    data = app.config["DATA_DIR"]
    os.makedirs(f"{data}/prompts")
    with open(f"{data}/prompts/greeting-day.wav", "wb") as fh:
        fh.write(b"RIFF-day-greeting")
    os.makedirs(f"{data}/voicemail/201")
    with open(f"{data}/voicemail/201/greeting-busy.wav", "wb") as fh:
        fh.write(b"RIFF-busy")
    db = sqlite3.connect(f"{data}/switchboard.db")
    db.execute("CREATE TABLE calls (id INTEGER)")
    db.execute("INSERT INTO calls VALUES (7)")
    db.commit()
    db.close()
    return logged_in


def test_backup_holds_config_data_and_audio_but_not_secrets(box, fake):
    archive = download(box)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert names[0] == "manifest.json" and "config.yaml" in names
    assert {"data/prompts/greeting-day.wav", "data/voicemail/201/greeting-busy.wav", "data/switchboard.db",
            "data/web/admin.json"} <= set(names)
    assert not any("secret_key" in n or "tls" in n for n in names)
    assert manifest["format"] == "switchboard-backup" and manifest["version"] == 1


def test_restore_round_trip(box, app, fake):
    archive = download(box)
    data = app.config["DATA_DIR"]
    os.remove(f"{data}/prompts/greeting-day.wav")
    rev = fake.call("config.get")["revision"]
    post(box, "/settings/", {"revision": rev, "office_name": "Changed Office", "country": "US",
                             "timezone": "America/New_York", "profile": "sim"})
    assert fake.call("config.get")["document"]["office"]["name"] == "Changed Office"
    resp = restore(box, archive)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert fake.call("config.get")["document"]["office"]["name"] == "Acme Dental"
    with open(f"{data}/prompts/greeting-day.wav", "rb") as fh:
        assert fh.read() == b"RIFF-day-greeting"
    assert not [n for n in os.listdir(data) if n.startswith(".restore-") or n.startswith(".upload-")]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "checksum", "newer_format", "newer_schema",
                                    "traversal", "symlink", "invalid_config", "not_a_backup"])
def test_bad_archives_are_refused_and_the_box_is_unchanged(box, app, fake, damage):
    good = download(box)
    if damage == "truncated":
        bad = good[: len(good) // 2]
    elif damage == "garbage":
        bad = b"PK\x03\x04 this is a zip, not a backup" * 20
    elif damage == "checksum":
        bad = rebuild(good, lambda m: m.__setitem__("data/prompts/greeting-day.wav", b"RIFF-tampered"))
    elif damage == "newer_format":
        def newer(m):
            manifest = json.loads(m["manifest.json"])
            manifest["version"] = 99
            m["manifest.json"] = json.dumps(manifest).encode()
        bad = rebuild(good, newer)
    elif damage == "newer_schema":
        def newer_schema(m):
            import hashlib
            import yaml
            doc = yaml.safe_load(m["config.yaml"])
            doc["schema_version"] = 99
            m["config.yaml"] = yaml.safe_dump(doc).encode()
            manifest = json.loads(m["manifest.json"])
            manifest["files"]["config.yaml"] = hashlib.sha256(m["config.yaml"]).hexdigest()
            m["manifest.json"] = json.dumps(manifest).encode()
        bad = rebuild(good, newer_schema)
    elif damage == "traversal":
        bad = rebuild(good, lambda m: m.__setitem__("data/../../web/admin.json", b"{}"))
    elif damage == "symlink":
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w:gz") as tar:
            info = tarfile.TarInfo("data/prompts/link.wav")
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        bad = out.getvalue()
    elif damage == "invalid_config":
        def invalid(m):
            import hashlib
            import yaml
            doc = yaml.safe_load(m["config.yaml"])
            doc["extensions"][0]["number"] = "0"
            m["config.yaml"] = yaml.safe_dump(doc).encode()
            manifest = json.loads(m["manifest.json"])
            manifest["files"]["config.yaml"] = hashlib.sha256(m["config.yaml"]).hexdigest()
            m["manifest.json"] = json.dumps(manifest).encode()
        bad = rebuild(good, invalid)
    else:
        bad = rebuild(good, lambda m: m.__setitem__("manifest.json", b'{"format": "something-else"}'))
    before = snapshot_box(app, fake)
    resp = restore(box, bad)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Nothing was restored" in text, text
    if damage.startswith("newer"):
        assert "newer Switchboard" in text
    assert snapshot_box(app, fake) == before


def test_restore_without_a_file(box):
    resp = post(box, "/settings/restore", {}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "Choose a backup archive" in resp.get_data(as_text=True)
