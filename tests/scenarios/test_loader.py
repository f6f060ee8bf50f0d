"""Scenario files: a good one parses with line numbers; a bad one names its line and the reason."""
from __future__ import annotations

import argparse

import pytest

from firmware.scenario import ScenarioError, parse_scenario
from firmware.scenario import cli

GOOD = """\
name: a caller dials sales
start: 2026-01-05T10:00:00-05:00
steps:
  - call: {caller: alice, line: 1, number: "5551234", name: ALICE}
  - expect: {prompt: greeting-day, within: 10}
  - press: {caller: alice, digits: 201}
  - expect: {ringing: "201"}
  - wait: 3
  - lift: "201"
  - expect_not: {event: hangup, within: 2}
  - hang_up: alice
"""


def test_good_scenario_parses_with_lines():
    sc = parse_scenario(GOOD, "good.yaml")
    assert sc.name == "a caller dials sales"
    assert [s.kind for s in sc.steps] == ["call", "expect", "press", "expect", "wait", "lift", "expect_not",
                                          "hang_up"]
    assert [s.line for s in sc.steps][:3] == [4, 5, 6]
    assert sc.steps[2].args == {"caller": "alice", "digits": "201"}
    assert sc.steps[4].args == {"seconds": 3}
    assert sc.steps[7].args == {"caller": "alice"}
    assert sc.start.utcoffset().total_seconds() == -5 * 3600


@pytest.mark.parametrize("text, line, reason", [
    ("steps:\n  - call: {}\n  - press: {caller: a, digits: '2x'}\n", 3, "digits must be"),
    ("steps:\n  - call: {}\n  - teleport: now\n", 3, "unknown step 'teleport'"),
    ("steps:\n  - call: {}\n  - expect: {within: 3}\n", 3, "needs exactly one of"),
    ("steps:\n  - call: {}\n  - expect: {tone: busy}\n", 3, "needs caller: or phone:"),
    ("steps:\n  - wait: soon\n", 2, "must be a number"),
    ("steps:\n  - call: {}\n    press: {caller: a, digits: '1'}\n", 2, "exactly one action"),
    ("steps:\n  - call: {caller: a, caller: b}\n", 2, "duplicate key"),
    ("steps: [\n", 2, "not valid YAML"),
    ("name: x\nstep: []\n", 1, "unknown key"),
    ("name: x\n", 1, "steps: must be"),
    ("steps:\n  - lift: {}\n", 2, "phone: (an extension"),
])
def test_bad_scenarios_name_line_and_reason(text, line, reason):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "bad.yaml")
    assert info.value.line == line
    assert reason in info.value.reason
    assert str(info.value).startswith(f"bad.yaml:{line}:")


def test_simulate_exits_2_on_a_bad_file(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("steps:\n  - call: {}\n  - press: {caller: a}\n")
    code = cli.main(argparse.Namespace(scenario=str(path), config=None))
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:3:" in err and "digits" in err


def test_simulate_exits_2_on_a_bad_override(tmp_path, capsys):
    path = tmp_path / "o.yaml"
    path.write_text("override: {trunks: {incoming: {rings_before_answer: -4}}}\nsteps:\n  - wait: 1\n")
    code = cli.main(argparse.Namespace(scenario=str(path), config=None))
    assert code == 2
    assert "rings_before_answer" in capsys.readouterr().err


def test_simulate_exits_2_on_a_missing_file(tmp_path, capsys):
    code = cli.main(argparse.Namespace(scenario=str(tmp_path / "nope.yaml"), config=None))
    assert code == 2 and "cannot read" in capsys.readouterr().err


def test_merge_is_deep_for_mappings_only():
    assert cli.merge({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}}) == {"a": {"b": 1, "c": [2]}, "d": 1}
