"""Fixtures for the configuration tests: a fresh copy of the example office as a document and as a file."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from firmware import config


@pytest.fixture
def office() -> dict:
    """The embedded example office as a plain document (a fresh copy per test)."""
    return copy.deepcopy(yaml.safe_load(config.example_text()))


@pytest.fixture
def office_file(tmp_path: Path, office: dict) -> Path:
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(office, sort_keys=False), encoding="utf-8")
    return path
