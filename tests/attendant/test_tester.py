"""The menu tester: walks every path of a configuration, and the problems it must find."""
from __future__ import annotations

import argparse
import copy
import json

import yaml

from firmware.attendant.tester import main, test_menus as walk_menus
from firmware.cli import main as cli_main
from tests.attendant.office import CONFIG


def small(**menus):
    cfg = copy.deepcopy(CONFIG)
    cfg["menus"] = menus
    return cfg


GOOD = small(main={"greeting": {"day": "greeting-day", "night": "greeting-night"}, "timeout": 3, "retries": 1,
                   "options": {"1": {"action": "extension", "target": "201"}}})


def kinds(report):
    return {(p.kind, p.severity) for p in report.problems}


def test_example_office_passes_and_every_state_is_called(capsys):
    assert main(argparse.Namespace(config=None, json=True)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and {"day", "night", "override-day", "override-night"} <= set(out["states"])
    outcomes = {p["path"]: p["outcome"] for p in out["paths"] if p["state"] == "day"}
    assert "rings 201" in outcomes["answer > 1"] and "rings 200" in outcomes["answer > timeout"]


def test_a_good_small_office_walks_clean():
    report = walk_menus(GOOD)
    assert report.ok, report.text()
    assert {"day", "lunch", "night", "override-day", "override-night"} <= set(report.states)


def test_missing_recording_is_found():
    cfg = small(main={"greeting": {"day": "greeting-day", "night": "greeting-we-never-recorded"},
                      "options": {"1": {"action": "info", "prompt": "no-such-info"}}})
    report = walk_menus(cfg, simulate=False)
    assert not report.ok
    missing = {p.detail for p in report.problems if p.kind == "missing_recording"}
    assert any("greeting-we-never-recorded" in d for d in missing) and any("no-such-info" in d for d in missing)


def test_missing_destinations_are_found():
    cfg = small(main={"greeting": {"day": "greeting-day"},
                      "options": {"1": {"action": "extension", "target": "299"},
                                  "2": {"action": "submenu", "target": "nowhere"},
                                  "3": {"action": "mailbox", "target": "777"}}})
    report = walk_menus(cfg, simulate=False)
    paths = {p.path for p in report.problems if p.kind == "missing_destination"}
    assert paths == {"answer > 1", "answer > 2", "answer > 3"}


def test_outside_line_is_reported():
    cfg = small(main={"greeting": {"day": "greeting-day"},
                      "options": {"7": {"action": "external", "target": "0015551234567"}}})
    report = walk_menus(cfg, simulate=False)
    assert ("outside_line", "error") in kinds(report)


def test_loop_with_no_way_out():
    cfg = small(
        main={"greeting": {"day": "greeting-day"}, "dial_by_extension": False, "on_fail": "menu:other",
              "options": {"0": {"action": "submenu", "target": "other"}, "5": {"action": "info",
                                                                              "prompt": "info-hours"}}},
        other={"greeting": {"day": "greeting-default"}, "dial_by_extension": False, "on_fail": "menu:main",
               "options": {"0": {"action": "previous"}}})
    report = walk_menus(cfg, states={"day"})
    assert ("loop", "error") in kinds(report) and not report.ok
    # at run time the attendant does not hold the caller for ever: it gives up at the operator
    assert all("rings 200" in p["outcome"] for p in report.paths if p["path"].endswith("timeout"))


def test_extension_without_phone_or_mailbox_is_a_dead_end():
    cfg = copy.deepcopy(GOOD)
    cfg["extensions"].append({"number": "250", "name": "Nobody"})
    cfg["menus"]["main"]["options"]["2"] = {"action": "extension", "target": "250"}
    report = walk_menus(cfg, simulate=False)
    assert any(p.kind == "dead_end" and p.path == "answer > 2" for p in report.problems)


def test_cli_exit_codes_and_bad_config(tmp_path, capsys):
    bad = copy.deepcopy(GOOD)
    bad["menus"]["main"]["options"]["1"] = {"action": "extension", "target": "299"}
    bad["schema_version"] = 1
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert cli_main(["test-menu", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "299" in out and "FAILED" in out
    assert cli_main(["test-menu", "--config", str(tmp_path / "missing.yaml")]) == 2


def test_check_config_refuses_a_menu_that_points_at_a_missing_extension(tmp_path, capsys):
    from firmware.config import example_text
    doc = yaml.safe_load(example_text())
    doc["menus"]["main"]["options"]["1"] = {"action": "extension", "target": "299"}
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert cli_main(["check-config", str(path)]) != 0
    captured = capsys.readouterr()
    assert "menus.main.options.1.target" in captured.out + captured.err


def test_an_option_that_does_not_ring_what_it_names_is_reported(monkeypatch):
    from firmware.attendant.routing import Router
    real = Router.connect_extension

    async def wrong_number(self, leg, number, announce="transfer-hold"):
        return await real(self, leg, "202" if number == "201" else number, announce)

    monkeypatch.setattr(Router, "connect_extension", wrong_number)
    report = walk_menus(GOOD, states={"day"})
    assert any(p.kind == "unexpected" and "should ring 201 but rang 202" in p.detail for p in report.problems)
