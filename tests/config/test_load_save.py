"""Loading, atomic saving, migration with a kept copy, the last good configuration, and check-config."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
import yaml

from drivers.errors import ConfigError, StorageError
from firmware import config
from firmware.config import cli, migrations, yamlio


def test_load_none_is_the_example_office():
    cfg = config.load()
    assert cfg.office_name == "Example Office"
    assert [e["number"] for e in cfg.extensions] == ["200", "201", "202", "203"]
    assert cfg.operator["name"] == "Reception"
    assert cfg.extension("201")["phone"] == "fxs2"
    assert cfg.line("line2")["port"] == "fxo2" and cfg.line_by_port("fxo1")["id"] == "line1"
    assert cfg.phone("fxs4")["label"] == "Owner's office"
    assert cfg.extension_for_phone("fxs3")["number"] == "202"
    assert cfg.menu("main")["options"]["0"] == {"action": "operator"}
    assert cfg.mailbox("203")["name"] == "Olivia Owner"
    assert cfg.dialable("202")[0] == "extension" and cfg.dialable("299") is None


def test_defaults_are_filled_but_the_document_stays_as_written():
    cfg = config.load()
    assert cfg["timeouts"]["transfer_recall"] == 30          # not in the file: schema default
    assert cfg["menus"]["main"]["retries"] == 2
    assert "queues" not in cfg and cfg["parking"]["first_slot"] == "701"
    assert "transfer_recall" not in cfg.document["timeouts"]
    assert "parking" not in cfg.document


def test_revision_ignores_key_order(office):
    reordered = dict(reversed(list(office.items())))
    assert config.revision_of(office) == config.revision_of(reordered)
    office["operator"] = "201"
    assert config.revision_of(office) != config.revision_of(reordered)


def test_load_file_and_bad_file_names_the_path(office_file: Path, office):
    assert config.load(office_file).path == office_file
    office["extensions"][0]["phone"] = "fxs7"
    office_file.write_text(yaml.safe_dump(office), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        config.load(office_file)
    assert exc.value.errors[0][0] == "extensions[0].phone"


def test_yaml_syntax_error_names_the_line(tmp_path: Path):
    p = tmp_path / "bad.yaml"
    p.write_text("office:\n  name: x\n  country: [US\nboard: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        config.load(p)
    [(where, reason)] = exc.value.errors
    assert where == "line 4, column 6" and "YAML syntax" in reason and "at line 3, column 12" in reason


def test_duplicate_keys_are_refused(tmp_path: Path):
    p = tmp_path / "dup.yaml"
    p.write_text("office:\n  name: a\n  name: b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        config.load(p)
    assert exc.value.errors == [("line 3", "duplicate key 'name' (first at line 2)")]


def test_save_writes_atomically_and_round_trips(tmp_path: Path, office):
    p = tmp_path / "office.yaml"
    rev = config.save(p, office)
    assert config.load(p).revision == rev == config.revision_of(office)
    assert [f.name for f in tmp_path.iterdir()] == ["office.yaml"]
    assert (p.stat().st_mode & 0o777) == 0o640


def test_save_refuses_a_bad_document_and_writes_nothing(tmp_path: Path, office):
    p = tmp_path / "office.yaml"
    config.save(p, office)
    before = p.read_bytes()
    office["operator"] = "999"
    with pytest.raises(ConfigError):
        config.save(p, office)
    assert p.read_bytes() == before


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, office, monkeypatch, failing):
    p = tmp_path / "office.yaml"
    config.save(p, office)
    before = p.read_bytes()
    office["office"]["name"] = "Renamed Office"

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(yamlio.os, failing, boom)
    with pytest.raises(StorageError) as exc:
        config.save(p, office)
    assert "No space left" in str(exc.value)
    monkeypatch.undo()
    assert p.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["office.yaml"]


def test_write_midway_failure_keeps_old_file(tmp_path: Path, monkeypatch):
    p = tmp_path / "doc.yaml"
    yamlio.write_atomic(p, b"old: 1\n")
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(yamlio.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(StorageError):
        yamlio.write_atomic(p, b"new: 2\n" * 100)
    assert p.read_bytes() == b"old: 1\n"
    assert [f.name for f in tmp_path.iterdir()] == ["doc.yaml"]


def test_draft_document_is_migrated_and_old_copy_kept(tmp_path: Path, office):
    del office["schema_version"]
    office["menus"]["main"]["greeting"] = "greeting-day"
    office["menus"]["main"]["options"] = {1: "201", "2": "202", "0": "operator"}
    p = tmp_path / "office.yaml"
    original = yaml.safe_dump(office, sort_keys=False)
    p.write_text(original, encoding="utf-8")
    cfg = config.load(p)
    assert cfg["schema_version"] == config.CURRENT_VERSION
    assert cfg.menu("main")["greeting"] == {"day": "greeting-day"}
    assert cfg.menu("main")["options"]["1"] == {"action": "extension", "target": "201"}
    assert cfg.menu("main")["options"]["0"] == {"action": "operator"}
    assert (tmp_path / "office.yaml.v0.bak").read_text(encoding="utf-8") == original
    assert yaml.safe_load(p.read_text(encoding="utf-8"))["schema_version"] == config.CURRENT_VERSION


def test_migration_chain_runs_every_step(monkeypatch, office):
    monkeypatch.setitem(migrations.MIGRATIONS, 1, lambda d: {**d, "office": {**d["office"], "name": "v2"}})
    doc, start = migrations.migrate(office, target=2)
    assert (start, doc["schema_version"], doc["office"]["name"]) == (1, 2, "v2")
    assert office["schema_version"] == 1                     # the input is not changed


def test_newer_document_is_refused(office):
    office["schema_version"] = config.CURRENT_VERSION + 1
    with pytest.raises(ConfigError) as exc:
        config.parse(yaml.safe_dump(office))
    assert exc.value.errors[0][0] == "schema_version" and "upgrade" in exc.value.errors[0][1]


def test_bad_migration_result_writes_nothing(tmp_path: Path, office):
    del office["schema_version"]
    office["operator"] = "999"
    p = tmp_path / "office.yaml"
    p.write_text(yaml.safe_dump(office), encoding="utf-8")
    with pytest.raises(ConfigError):
        config.load(p)
    assert [f.name for f in tmp_path.iterdir()] == ["office.yaml"]


def test_fallback_to_last_good(tmp_path: Path, office):
    good = tmp_path / "last-good.yaml"
    current = tmp_path / "office.yaml"
    config.remember_good(config.Config(office), good)
    current.write_text("office: [\n", encoding="utf-8")
    loaded = config.load_with_fallback(current, good)
    assert loaded.config.path == good and loaded.config.office_name == "Example Office"
    assert loaded.errors and loaded.errors[0][0].startswith("line")
    config.save(current, office)
    cfg, errors = config.load_with_fallback(current, good)
    assert errors == [] and cfg.path == current


def test_fallback_without_last_good_raises(tmp_path: Path):
    with pytest.raises(ConfigError) as exc:
        config.load_with_fallback(tmp_path / "missing.yaml", tmp_path / "also-missing.yaml")
    assert any("last good" in p for p, _ in exc.value.errors)


def test_check_config_ok(capsys):
    path = Path(config.__file__).with_name("example_office.yaml")
    assert cli.main(argparse.Namespace(path=str(path))) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_check_config_lists_problems(tmp_path: Path, office, capsys):
    office["extensions"][1]["phone"] = "fxs9"
    office["office"]["timezone"] = "Nowhere/Land"
    p = tmp_path / "office.yaml"
    p.write_text(yaml.safe_dump(office), encoding="utf-8")
    assert cli.main(argparse.Namespace(path=str(p))) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("2 problems")
    assert any(line.startswith("extensions[1].phone: ") for line in err)
    assert any(line.startswith("office.timezone: ") for line in err)


def test_check_config_via_switchboard_cli(tmp_path: Path, capsys):
    from firmware.cli import main
    p = tmp_path / "x.yaml"
    p.write_text("just text", encoding="utf-8")
    assert main(["check-config", str(p)]) == 2
    assert "document: must be a mapping" in capsys.readouterr().err


def test_save_refuses_a_document_too_large_to_load_again(tmp_path: Path, office):
    office["trunks"]["outgoing"]["blocked_prefixes"] = [f"1900{i:05d}" for i in range(120_000)]
    with pytest.raises(ConfigError) as exc:
        config.save(tmp_path / "big.yaml", office)
    assert "larger than" in exc.value.errors[0][1]
    assert list(tmp_path.iterdir()) == []


def test_warnings_for_valid_but_unlikely_documents(office, tmp_path: Path, capsys):
    assert config.warnings(office) == []
    office["menus"]["orphan"] = {"greeting": {"day": "greeting-day"}}
    office["extensions"].append({"number": "204", "name": "Nobody", "phone": None, "mailbox": None})
    office["extensions"][0]["phone"] = None
    assert config.validate(office) == []
    paths = [p for p, _ in config.warnings(office)]
    assert paths == ["menus.orphan", "extensions[4]", "operator"]
    p = tmp_path / "office.yaml"
    p.write_text(yaml.safe_dump(office), encoding="utf-8")
    assert cli.main(argparse.Namespace(path=str(p))) == 0
    err = capsys.readouterr().err
    assert "warning: menus.orphan: no call ever reaches this menu" in err


def test_the_complete_example_in_the_docs_is_valid():
    import re

    text = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = re.search(r"## A complete example\s+```yaml\n(.*?)```", text, re.S).group(1)
    doc = config.parse(block, "docs/configuration.md")
    assert config.Config(doc).ring_group("everyone")["members"] == ["200", "201"]
    assert config.warnings(doc) == []


def test_a_second_old_document_gets_its_own_copy(tmp_path: Path, office):
    del office["schema_version"]
    p = tmp_path / "office.yaml"
    first = yaml.safe_dump(office)
    p.write_text(first, encoding="utf-8")
    config.load(p)
    office["office"]["name"] = "Restored old office"
    second = yaml.safe_dump(office)
    p.write_text(second, encoding="utf-8")
    config.load(p)
    assert (tmp_path / "office.yaml.v0.bak").read_text(encoding="utf-8") == first
    assert (tmp_path / "office.yaml.v0.1.bak").read_text(encoding="utf-8") == second


def test_lookups_for_groups_and_shared_mailboxes(office):
    office["ring_groups"] = [{"name": "sales", "number": "300", "members": ["201", "203"]}]
    office["voicemail"]["shared"] = [{"number": "299", "name": "Orders", "members": ["200", "201"]}]
    office["board"]["ports"] = {"fxo1": {"kind": "fxo", "pins": {"relay": 5}}}
    cfg = config.Config(office)
    assert cfg.ring_group("sales")["strategy"] == "ringall"            # default filled in
    assert cfg.dialable("300")[0] == "ring_group" and cfg.dialable("310") is None
    assert cfg.mailbox("299") == {"number": "299", "name": "Orders", "pin": None, "members": ["200", "201"],
                                  "email": None, "shared": True}
    assert [m["number"] for m in cfg.mailboxes()] == ["200", "201", "202", "203", "299"]
    assert cfg.board_port("fxo1")["pins"] == {"relay": 5} and cfg.board_port("fxs1") == {}
    assert cfg.timezone.key == "America/New_York" and cfg.country == "US"
    assert cfg.ring_group("nope") is None and cfg.menu("nope") is None and cfg.extension("999") is None
