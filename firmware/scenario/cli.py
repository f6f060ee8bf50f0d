"""``switchboard simulate SCENARIO [--config PATH]``: run a scenario in virtual time.

What it is: the command's ``main(args)``. The office is ``--config``, else the scenario's ``config:`` (a path
relative to the scenario file), else the embedded example office; the scenario's ``override:`` mapping is
merged into it and the result validated like any configuration. Prints the JSON-lines transcript on stdout.

Exit codes: 0 every expectation held; 1 one failed (stderr names the step, its line and what was expected);
2 a bad scenario file (its line and the reason) or a bad configuration (the field's path and the reason).
Nothing is written anywhere but stdout/stderr (recordings go to a temporary folder that is removed).
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any, Mapping

from drivers.errors import ConfigError
from firmware.scenario.loader import Scenario, ScenarioError, load_scenario
from firmware.scenario.runner import ScenarioRunner


def main(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
        config = office_for(scenario, getattr(args, "config", None))
    except ScenarioError as exc:
        print(f"switchboard simulate: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        problems = "; ".join(f"{p}: {r}" for p, r in exc.errors) or str(exc)
        print(f"switchboard simulate: bad configuration: {problems}", file=sys.stderr)
        return 2
    runner = ScenarioRunner(scenario, config, sys.stdout)
    code = runner.run()
    sys.stdout.flush()
    if code:
        print(f"switchboard simulate: FAILED {runner.failure_line(runner.failure or {'reason': 'unknown'})}", file=sys.stderr)
    return code


def office_for(scenario: Scenario, config_path: str | None) -> Mapping[str, Any]:
    """The validated configuration the scenario runs against (see the module docstring)."""
    from firmware import config as cfg
    path = config_path
    if path is None and scenario.config:
        path = str((Path(scenario.path).parent / scenario.config).resolve())
    doc, _ = cfg.load_document(path)
    if scenario.override:
        doc = merge(doc, scenario.override)
        errors = cfg.validate(doc)
        if errors:
            raise ScenarioError(scenario.path, 0, "override: " + "; ".join(f"{p}: {r}" for p, r in errors))
    return cfg.Config(doc)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` merged in: mappings deeply, everything else (lists too) replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
