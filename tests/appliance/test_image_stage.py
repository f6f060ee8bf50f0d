"""The image stage: shellcheck on every script, and a dry run of the host-side stage scripts into a temporary root."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from appliance_paths import IMAGE_BUILD, REPO, STAGE

SCRIPTS = sorted(
    [p for p in IMAGE_BUILD.rglob("*.sh")]
    + [STAGE / "02-system/files/switchboard-data-partition", STAGE / "02-system/files/switchboard-upgrade"]
)


def test_stage_layout_follows_pi_gen():
    assert (STAGE / "prerun.sh").is_file() and (STAGE / "EXPORT_IMAGE").is_file()
    for sub in sorted(p for p in STAGE.iterdir() if p.is_dir()):
        assert sub.name[:2].isdigit() and sub.name[2] == "-", f"{sub.name}: sub-stages are NN-name"
        for f in sub.iterdir():
            if f.is_file():
                assert f.name[:2].isdigit() or f.name == "files", f"{f}: pi-gen runs only NN-* files"
    packages = (STAGE / "00-packages/00-packages").read_text().split()
    for needed in ("python3-rpi-lgpio", "python3-venv", "libportaudio2", "avahi-daemon", "overlayroot"):
        assert needed in packages
    assert not any(p.lower() in ("python3-rpi.gpio", "rpi.gpio") for p in packages), "RPi.GPIO comes from the lgpio shim"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(IMAGE_BUILD)))
def test_every_script_is_executable_and_shellchecks(script):
    assert os.access(script, os.X_OK), f"{script.name} must be executable (pi-gen runs it directly)"
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    proc = subprocess.run(["shellcheck", "-x", "-s", "bash" if script.suffix == ".sh" else "sh", str(script)],
                          capture_output=True, text=True, timeout=60, cwd=script.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shellcheck_catches_a_broken_script(tmp_path):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/bash\nrm -rf $ROOTFS_DIR/opt\n")
    assert subprocess.run(["shellcheck", str(bad)], capture_output=True).returncode != 0


# ------------------------------------------------------------------------------------------ dry run
def fake_previous_stage(root: Path) -> None:
    """What stage2 leaves behind that our scripts change: shadow with pi-gen's root password, ssh enabled."""
    etc = root / "etc"
    (etc / "systemd/system/multi-user.target.wants").mkdir(parents=True)
    (etc / "systemd/system/multi-user.target.wants/ssh.service").symlink_to("/lib/systemd/system/ssh.service")
    (etc / "shadow").write_text(
        "root:$y$j9T$abc$def:19700:0:99999:7:::\n"
        "daemon:*:19700:0:99999:7:::\n"
        "admin:$6$salt$hash:19700:0:99999:7:::\n"
        "nopass::19700:0:99999:7:::\n"
        "locked:!$6$salt$hash:19700:0:99999:7:::\n"
    )
    (etc / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
    (etc / "fstab").write_text("proc /proc proc defaults 0 0\nPARTUUID=1-02 / ext4 defaults,noatime 0 1\n")
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/cmdline.txt").write_text(
        "console=serial0,115200 root=PARTUUID=1-02 rootfstype=ext4 fsck.repair=yes rootwait "
        "quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n")


@pytest.fixture(scope="module")
def staged_root(tmp_path_factory) -> Path:
    """prepare_stage.sh with a stand-in wheel, then every host-side NN-run.sh with ROOTFS_DIR=a temp root."""
    tmp = tmp_path_factory.mktemp("image")
    wheel = tmp / "switchboard-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip: the dry run only copies it
    subprocess.run([str(IMAGE_BUILD / "prepare_stage.sh"), str(tmp / "out"), str(wheel)], check=True,
                   capture_output=True, timeout=60)
    stage = tmp / "out/stage-switchboard"
    root = tmp / "rootfs"
    fake_previous_stage(root)
    env = dict(os.environ, ROOTFS_DIR=str(root))
    for script in sorted(stage.glob("*/[0-9][0-9]-run.sh")):
        proc = subprocess.run([str(script)], env=env, cwd=script.parent, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{script.name}: {proc.stderr}"
    return root


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_dry_run_installs_app_units_and_factory_config(staged_root):
    r = staged_root
    assert (r / "opt/switchboard/dist/switchboard-0.1.0-py3-none-any.whl").is_file()
    assert mode(r / "opt/switchboard/dist/install-app.sh") == 0o755
    for unit in ("switchboard.service", "switchboard-web.service"):
        installed = r / "etc/systemd/system" / unit
        assert installed.read_text() == (REPO / "systemd" / unit).read_text()
        assert mode(installed) == 0o644
        link = r / "etc/systemd/system/multi-user.target.wants" / unit
        assert link.is_symlink() and os.readlink(link) == f"/etc/systemd/system/{unit}"
    assert (r / "usr/lib/sysusers.d/switchboard.conf").is_file()
    assert (r / "usr/lib/tmpfiles.d/switchboard.conf").is_file()
    office = (r / "etc/switchboard/office.yaml").read_text()
    assert "gpio_backend: rpigpio" in office and "gpio_backend: sim" not in office
    from firmware import config as configuration
    factory = configuration.load(r / "etc/switchboard/office.yaml", migrate_on_disk=False)
    assert factory.get("board")["profile"] == "reference", "the factory document is valid for the real board"


def test_dry_run_names_the_host_and_announces_it(staged_root):
    assert (staged_root / "etc/hostname").read_text() == "switchboard\n"
    hosts = (staged_root / "etc/hosts").read_text()
    assert "127.0.1.1\tswitchboard" in hosts and "raspberrypi" not in hosts
    avahi = (staged_root / "etc/avahi/services/switchboard.service").read_text()
    assert "_https._tcp" in avahi and "<port>443</port>" in avahi


def test_dry_run_turns_ssh_off(staged_root):
    assert not (staged_root / "etc/systemd/system/multi-user.target.wants/ssh.service").exists()
    assert not (staged_root / "etc/systemd/system/multi-user.target.wants/ssh.service").is_symlink()


def test_dry_run_leaves_no_password(staged_root):
    shadow = [line.split(":") for line in (staged_root / "etc/shadow").read_text().splitlines()]
    for name, password, *_ in shadow:
        assert password.startswith(("!", "*")), f"{name} can log in with a password"
    assert [f[0] for f in shadow] == ["root", "daemon", "admin", "nopass", "locked"]
    assert mode(staged_root / "etc/shadow") == 0o640


def test_dry_run_makes_root_read_only_with_a_data_partition(staged_root):
    conf = (staged_root / "etc/overlayroot.conf").read_text()
    assert 'overlayroot="tmpfs:recurse=0"' in conf
    fstab = (staged_root / "etc/fstab").read_text().splitlines()
    data = [l.split() for l in fstab if "/var/lib/switchboard" in l]
    assert len(data) == 1 and data[0][0] == "LABEL=SBDATA" and data[0][2] == "ext4"
    assert "nofail" in data[0][3]
    assert fstab[0].startswith("proc"), "the existing entries stay"
    assert mode(staged_root / "var/lib/switchboard") == 0o770, "the mount point is in the image"
    assert mode(staged_root / "usr/local/sbin/switchboard-data-partition") == 0o755
    assert mode(staged_root / "usr/local/sbin/switchboard-upgrade") == 0o755
    link = staged_root / "etc/systemd/system/local-fs-pre.target.wants/switchboard-data.service"
    assert link.is_symlink()
    cmdline = (staged_root / "boot/firmware/cmdline.txt").read_text()
    assert "firstboot" not in cmdline, "the root partition must not grow over the data partition"
    assert "rootwait" in cmdline and cmdline.endswith("quiet\n")


def test_dry_run_keeps_the_journal_in_ram_and_arms_the_hardware_watchdog(staged_root):
    assert "Storage=volatile" in (staged_root / "etc/systemd/journald.conf.d/switchboard.conf").read_text()
    assert "RuntimeWatchdogSec=" in (staged_root / "etc/systemd/system.conf.d/switchboard-watchdog.conf").read_text()


def test_dry_run_twice_is_idempotent(staged_root, tmp_path):
    stage_out = tmp_path / "out"
    wheel = tmp_path / "switchboard-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    subprocess.run([str(IMAGE_BUILD / "prepare_stage.sh"), str(stage_out), str(wheel)], check=True,
                   capture_output=True, timeout=60)
    env = dict(os.environ, ROOTFS_DIR=str(staged_root))
    for script in sorted((stage_out / "stage-switchboard").glob("*/[0-9][0-9]-run.sh")):
        subprocess.run([str(script)], env=env, cwd=script.parent, check=True, capture_output=True, timeout=60)
    fstab = (staged_root / "etc/fstab").read_text()
    assert fstab.count("/var/lib/switchboard") == 1
    assert (staged_root / "etc/hosts").read_text().count("switchboard") == 1


def test_stage_refuses_to_run_without_a_wheel(tmp_path):
    out = tmp_path / "out"
    wheel = tmp_path / "switchboard-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"x")
    subprocess.run([str(IMAGE_BUILD / "prepare_stage.sh"), str(out), str(wheel)], check=True, capture_output=True)
    (out / "stage-switchboard/01-app/files" / wheel.name).unlink()
    proc = subprocess.run([str(out / "stage-switchboard/01-app/00-run.sh")], capture_output=True, text=True,
                          env=dict(os.environ, ROOTFS_DIR=str(tmp_path / "root")))
    assert proc.returncode != 0 and "wheel" in proc.stderr


@pytest.fixture
def sd_card(tmp_path):
    """A 64 MiB disk image with a boot and a root partition and free space after them, on a loop device."""
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("losetup", "sfdisk", "partx", "mkfs.ext4", "blkid")):
        pytest.skip("needs root, losetup, sfdisk (fdisk), partx, mkfs.ext4 and blkid")
    image = tmp_path / "card.img"
    with open(image, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    subprocess.run(["sfdisk", "--quiet", str(image)], input=b"label: dos\n,8M,c\n,24M,L\n", check=True)
    proc = subprocess.run(["losetup", "-fP", "--show", str(image)], capture_output=True, text=True)
    if proc.returncode:
        pytest.skip(f"no loop device here: {proc.stderr.strip()}")
    loop = proc.stdout.strip()
    yield loop
    subprocess.run(["losetup", "-d", loop], capture_output=True)


def test_first_boot_creates_the_data_partition_once(sd_card):
    script = STAGE / "02-system/files/switchboard-data-partition"
    first = subprocess.run([str(script), sd_card], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    part = f"{sd_card}p3"
    assert f"created {part}" in first.stdout
    probe = subprocess.run(["blkid", "-o", "export", part], capture_output=True, text=True).stdout
    assert "LABEL=SBDATA" in probe and "TYPE=ext4" in probe
    again = subprocess.run([str(script), sd_card], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "already" in again.stdout, "a second boot changes nothing"
    assert not os.path.exists(f"{sd_card}p4")
