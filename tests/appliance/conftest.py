"""Fixtures for the appliance checks: paths of the unit files, the stage and the scripts."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
IMAGE_BUILD = REPO / "image_build"
STAGE = IMAGE_BUILD / "stage-switchboard"
UNITS = ("switchboard.service", "switchboard-web.service")
EXEC_PATH = "/opt/switchboard/bin/switchboard"


@pytest.fixture
def repo() -> Path:
    return REPO
