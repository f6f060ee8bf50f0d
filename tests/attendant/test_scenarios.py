"""The attendant and voicemail scenarios, each run on the simulated office in virtual time."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from firmware.scenario.cli import main as simulate

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path, capsys):
    code = simulate(argparse.Namespace(scenario=str(path), config=None))
    captured = capsys.readouterr()
    last = json.loads(captured.out.strip().splitlines()[-1])
    assert code == 0, captured.err + json.dumps(last)
    assert last["event"] == "passed"
