"""The unit files pass systemd's own offline checks, and say what an appliance needs."""
from __future__ import annotations

import os
import re

import pytest

import unitcheck
from appliance_paths import IMAGE_BUILD, SYSTEMD, UNITS

pytestmark = pytest.mark.skipif(not unitcheck.available(), reason="systemd-analyze is not installed (apt-get install systemd)")

ALL_UNITS = [SYSTEMD / u for u in UNITS] + [IMAGE_BUILD / "stage-switchboard/02-system/files/switchboard-data.service"]


def directives(unit: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit, values in order (keys may repeat)."""
    out: dict[str, list[str]] = {}
    for line in (SYSTEMD / unit).read_text().splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def test_every_unit_verifies_without_a_word(tmp_path):
    assert unitcheck.verify(ALL_UNITS, tmp_path) == []


def test_a_typo_in_a_unit_fails_the_check(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    bad = broken / "switchboard.service"
    bad.write_text((SYSTEMD / "switchboard.service").read_text().replace("ProtectSystem=", "ProtectSytem="))
    findings = unitcheck.verify([bad], tmp_path)
    assert any("Unknown key" in f and "ProtectSytem" in f for f in findings)


def test_a_bad_value_fails_the_check(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    bad = broken / "switchboard-web.service"
    bad.write_text((SYSTEMD / "switchboard-web.service").read_text().replace("Restart=on-failure", "Restart=sometimes"))
    assert unitcheck.verify([bad], tmp_path) != []


@pytest.mark.parametrize("unit", UNITS)
def test_exposure_is_at_most_4_5(unit, tmp_path):
    score = unitcheck.exposure(SYSTEMD / unit, tmp_path)
    assert score <= 4.5, f"{unit} exposure {score}"


def test_a_weakened_unit_scores_worse(tmp_path):
    weak = tmp_path / "weak"
    weak.mkdir()
    text = (SYSTEMD / "switchboard.service").read_text()
    text = "\n".join(line for line in text.splitlines()
                     if not line.startswith(("Protect", "Restrict", "SystemCall", "CapabilityBounding",
                                             "PrivateTmp", "NoNewPrivileges", "User=", "DevicePolicy")))
    (weak / "switchboard.service").write_text(text)
    assert unitcheck.exposure(weak / "switchboard.service", tmp_path) > 4.5


def test_daemon_unit_is_a_watched_notify_service():
    d = directives("switchboard.service")
    assert d["Type"] == ["notify"]
    assert d["Restart"] == ["on-failure"]
    assert d["WatchdogSec"] and d["WatchdogSec"][0] != "0"
    assert d["User"] == ["switchboard"]
    assert set(d["SupplementaryGroups"][0].split()) >= {"gpio", "audio", "dialout"}
    assert d["StateDirectory"] == ["switchboard"] and d["RuntimeDirectory"] == ["switchboard"]
    assert d["WorkingDirectory"] == ["/run/switchboard"], "lgpio's FIFO needs a writable cwd"
    assert "SWITCHBOARD_GPIO_BACKEND=rpigpio" in d["Environment"]
    assert d["DevicePolicy"] == ["closed"]
    allowed = {v.split()[0] for v in d["DeviceAllow"]}
    assert allowed == {"char-gpiochip", "char-alsa", "char-ttyUSB", "char-ttyACM"}
    assert d["CapabilityBoundingSet"] == [""]
    for key in ("ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges", "RestrictAddressFamilies",
                "SystemCallFilter"):
        assert d.get(key), key


def test_web_unit_binds_low_ports_with_one_capability_and_no_devices():
    d = directives("switchboard-web.service")
    assert d["User"] == ["switchboard-web"]
    assert d["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
    assert d["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    assert d["PrivateDevices"] == ["yes"] and "DeviceAllow" not in d
    assert d["Group"] == ["switchboard"], "reaches the control socket and the shared data folder by group"
    assert "--socket /run/switchboard/control.sock" in d["ExecStart"][0]
    assert "--data /var/lib/switchboard " in d["ExecStart"][0] and d["ReadWritePaths"] == ["/var/lib/switchboard"]
    assert d["UMask"] == ["0007"] and directives("switchboard.service")["UMask"] == ["0007"]


def test_sysusers_creates_both_users_with_the_device_groups():
    lines = [l.split() for l in (SYSTEMD / "sysusers.d/switchboard.conf").read_text().splitlines()
             if l and not l.startswith("#")]
    users = {l[1] for l in lines if l[0] == "u"}
    members = {(l[1], l[2]) for l in lines if l[0] == "m"}
    assert users == {"switchboard", "switchboard-web"}
    assert {("switchboard", g) for g in ("gpio", "audio", "dialout")} <= members
    assert ("switchboard-web", "switchboard") in members
    assert not any(("switchboard-web", g) in members for g in ("gpio", "audio", "dialout"))


def test_tmpfiles_snippet_creates_the_directories_and_the_first_config(tmp_path):
    import shutil
    import subprocess
    if shutil.which("systemd-tmpfiles") is None:
        pytest.skip("systemd-tmpfiles is not installed")
    if os.geteuid() != 0:
        pytest.skip("systemd-tmpfiles --create changes ownership: needs root")
    root = tmp_path / "root"
    (root / "etc/switchboard").mkdir(parents=True)
    (root / "etc/switchboard/office.yaml").write_text("schema_version: 1\n")
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\nswitchboard:x:990:990::/:/usr/sbin/nologin\n"
                                     "switchboard-web:x:991:991::/:/usr/sbin/nologin\n")
    (root / "etc/group").write_text("root:x:0:\nswitchboard:x:990:\nswitchboard-web:x:991:\n")
    conf = SYSTEMD / "tmpfiles.d/switchboard.conf"
    proc = subprocess.run(["systemd-tmpfiles", f"--root={root}", "--create", str(conf)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    state = root / "var/lib/switchboard"
    assert (state.stat().st_mode & 0o777, state.stat().st_uid) == (0o770, 990)
    assert (root / "run/switchboard").stat().st_uid == 990
    assert (state / "config.yaml").read_text() == "schema_version: 1\n"
    # a second boot keeps the office's own document
    (state / "config.yaml").write_text("edited\n")
    subprocess.run(["systemd-tmpfiles", f"--root={root}", "--create", str(conf)], check=True, timeout=60)
    assert (state / "config.yaml").read_text() == "edited\n"


@pytest.mark.parametrize("unit", UNITS)
def test_execstart_is_a_command_line_the_cli_accepts(unit):
    """A renamed or removed option would make the unit fail at boot; the real parser says now."""
    import shlex

    from firmware.cli import build_parser
    (exec_start,) = directives(unit)["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0] == "/opt/switchboard/bin/switchboard"
    args = build_parser().parse_args(argv[1:])
    assert args.command in ("run", "web")
    if args.command == "run":
        assert not args.sim and args.data == "/var/lib/switchboard"
        assert args.config == "/var/lib/switchboard/config.yaml"
    else:
        assert args.port == 443 and args.socket == "/run/switchboard/control.sock"


def test_sysusers_snippet_creates_the_accounts_in_a_root(tmp_path):
    import shutil
    import subprocess
    if shutil.which("systemd-sysusers") is None:
        pytest.skip("systemd-sysusers is not installed")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\naudio:x:29:\ndialout:x:20:\n")  # as Debian has them
    proc = subprocess.run(["systemd-sysusers", f"--root={tmp_path}", str(SYSTEMD / "sysusers.d/switchboard.conf")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    users = {l.split(":")[0]: l.split(":") for l in (tmp_path / "etc/passwd").read_text().splitlines()}
    groups = {l.split(":")[0]: l.split(":")[3].split(",") for l in (tmp_path / "etc/group").read_text().splitlines()}
    assert users["switchboard"][6] == users["switchboard-web"][6] == "/usr/sbin/nologin"
    for group in ("gpio", "audio", "dialout"):
        assert "switchboard" in groups[group] and "switchboard-web" not in groups[group]
    assert groups["switchboard"] == ["switchboard-web"]
    assert "root:x:0:" in (tmp_path / "etc/group").read_text(), "existing groups are kept"
