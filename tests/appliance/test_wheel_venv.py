"""The wheel the image installs: built from the tree, installed by the image's own install-app.sh into a venv
with system site packages, where ``switchboard --version`` and ``switchboard simulate`` run.

Offline: the venv's "system" packages (numpy, Flask, …) are this test environment's, reached through a .pth
file, the way the image reaches Debian's through --system-site-packages; pip installs only our wheel.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from appliance_paths import IMAGE_BUILD, REPO

pytestmark = pytest.mark.slow

SOURCES = ("firmware", "drivers", "webui", "setup.cfg", "pyproject.toml", "README.md", "LICENSE")


def build_wheel(out: Path) -> Path:
    src = out / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--wheel-dir", str(out / "dist"), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = (out / "dist").glob("switchboard-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(tmp)
    prefix = tmp / "opt/switchboard"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--system-site-packages", "--without-pip", str(prefix)], check=True,
                   timeout=120)
    site = subprocess.run([str(prefix / "bin/python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "test-system-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = dict(clean_env(), PYTHON=base, SWITCHBOARD_EXTRAS="", PIP_NO_INDEX="1", PIP_NO_DEPS="1")
    proc = subprocess.run([str(IMAGE_BUILD / "install-app.sh"), str(prefix), str(wheel)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("switchboard ")
    return prefix


def clean_env() -> dict[str, str]:
    """This environment without PYTHONPATH: the venv must answer from what is installed in it."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def run(prefix: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(prefix / "bin/switchboard"), *args], capture_output=True, text=True, timeout=120,
                          env=clean_env(), cwd=cwd or prefix)


def test_version_runs_from_the_venv(installed):
    from firmware import __version__
    proc = run(installed, "--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"switchboard {__version__}"
    where = subprocess.run([str(installed / "bin/python"), "-c", "import firmware; print(firmware.__file__)"],
                           capture_output=True, text=True, cwd=installed, env=clean_env()).stdout
    assert where.startswith(str(installed)), "the installed wheel, not the source tree, must answer"


def test_prompts_ship_in_the_wheel(installed):
    proc = subprocess.run([str(installed / "bin/python"), "-c",
                           "from firmware.prompts.library import AUDIO_DIR; import sys;"
                           "print(AUDIO_DIR); print(len(list(AUDIO_DIR.glob('*.wav'))))"],
                          capture_output=True, text=True, cwd=installed, env=clean_env())
    audio_dir, count = proc.stdout.split()
    assert audio_dir.startswith(str(installed)) and int(count) > 0


def example_scenario() -> Path | None:
    found = sorted((REPO / "examples").glob("*.yaml")) if (REPO / "examples").is_dir() else []
    return found[0] if found else None


def test_simulate_runs_from_the_venv(installed):
    if not (REPO / "firmware/scenario/cli.py").exists():
        pytest.skip("`switchboard simulate` (firmware/scenario/cli.py) is not in the tree yet")
    scenario = example_scenario()
    if scenario is None:
        pytest.skip("no example scenario in examples/ yet")
    proc = run(installed, "simulate", str(scenario))
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    assert lines and all(l.startswith("{") for l in lines)


def test_every_data_file_of_the_tree_is_in_the_installed_package(installed):
    """Templates, static files, prompts, schemas: a file the tree has and the wheel lacks breaks the box."""
    site = Path(subprocess.run([str(installed / "bin/python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, env=clean_env()).stdout.strip())
    src = installed.parent.parent / "src"  # the tree the wheel was built from
    missing = []
    for top in ("firmware", "drivers", "webui"):
        for path in (src / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc",):
                rel = path.relative_to(src)
                if not (site / rel).exists():
                    missing.append(str(rel))
    assert missing == [], f"not installed by the wheel (setup.cfg package_data): {missing[:10]}"
