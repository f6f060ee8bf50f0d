"""Run scenarios in-process on the real SimOffice and engine, in virtual time."""
from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import pytest

from firmware.scenario import parse_scenario
from firmware.scenario.cli import office_for
from firmware.scenario.runner import ScenarioRunner

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@functools.lru_cache(maxsize=None)
def _example_doc():
    from firmware import config as cfg
    return cfg.load_document(None)[0]


class Result:
    def __init__(self, code: int, text: str, runner: ScenarioRunner) -> None:
        self.code = code
        self.text = text
        self.records = [json.loads(line) for line in text.splitlines()]
        self.failure = runner.failure

    def events(self, kind: str) -> list[dict]:
        return [r for r in self.records if r["event"] == kind]


def run_text(text: str, path: str = "<test>", data_dir: Path | None = None) -> Result:
    scenario = parse_scenario(text, path)
    if scenario.config is None and not scenario.override:
        from firmware.config import Config
        config = Config(_example_doc())
    else:
        config = office_for(scenario, None)
    out = io.StringIO()
    runner = ScenarioRunner(scenario, config, out, data_dir=data_dir)
    code = runner.run()
    return Result(code, out.getvalue(), runner)


@pytest.fixture
def simulate(tmp_path):
    def go(text: str) -> Result:
        return run_text(text, data_dir=tmp_path / "data")
    return go
