"""Scenarios: what the outside world does and what must be observed, run in virtual time (docs/scenarios.md)."""
from firmware.scenario.loader import Scenario, ScenarioError, Step, load_scenario, parse_scenario

__all__ = ["Scenario", "ScenarioError", "Step", "load_scenario", "parse_scenario"]
