"""Offline checks of systemd unit files: ``systemd-analyze verify`` and ``security``, read, not trusted for exit codes.

``verify`` exits 0 on an unknown key (it only prints ``Unknown key …``) and fails when the ``ExecStart`` binary
is absent; so each unit is copied into a temporary directory with its executable paths pointed at a stub there,
and *any* output counts as a finding.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

EXEC_PATHS = ("/opt/switchboard/bin/switchboard", "/usr/local/sbin/switchboard-data-partition")
_SCORE = re.compile(r"Overall exposure level for \S+: ([0-9.]+)")


def available() -> bool:
    return shutil.which("systemd-analyze") is not None


def stage_units(units: list[Path], workdir: Path) -> list[Path]:
    """Copy units into ``workdir`` with their executables pointed at an executable stub there."""
    stub = workdir / "stub-exec"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    staged = []
    for unit in units:
        text = unit.read_text()
        for path in EXEC_PATHS:
            text = text.replace(path, str(stub))
        target = workdir / unit.name
        target.write_text(text)
        staged.append(target)
    return staged


def verify(units: list[Path], workdir: Path) -> list[str]:
    """Findings of ``systemd-analyze verify`` (empty when the units are clean)."""
    staged = stage_units(units, workdir)
    proc = subprocess.run(["systemd-analyze", "verify", *map(str, staged)], capture_output=True, text=True,
                          timeout=60)
    findings = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    if proc.returncode != 0 and not findings:
        findings.append(f"systemd-analyze verify exited {proc.returncode}")
    return findings


def exposure(unit: Path, workdir: Path) -> float:
    """``systemd-analyze security --offline=true`` overall exposure (0 best, 10 worst)."""
    (staged,) = stage_units([unit], workdir)
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(staged)],
                          capture_output=True, text=True, timeout=60)
    match = _SCORE.search(proc.stdout + proc.stderr)
    if match is None:
        raise AssertionError(f"no exposure score for {unit.name}:\n{proc.stdout}{proc.stderr}")
    return float(match.group(1))
