"""Where the appliance's files are: the unit files, the image stage and its scripts (shared by the checks)."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
IMAGE_BUILD = REPO / "image_build"
STAGE = IMAGE_BUILD / "stage-switchboard"
UNITS = ("switchboard.service", "switchboard-web.service")
