"""Behaviour under systemd: health tick, readiness, start-up recovery, boot configuration, data space."""
from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from drivers.errors import ConfigError, PortError
from firmware.lifeline import Lifeline
from firmware.notify import RecordingNotifier
from firmware.service import DataSpace, Supervisor, check_gpio_backend, recover_ports


class Pin:
    def __init__(self) -> None:
        self.levels: list[bool] = []

    def set(self, value: bool) -> None:
        self.levels.append(value)


# ------------------------------------------------------------------------------------- health tick
def test_health_tick_feeds_watchdog_and_lifeline_from_the_loop(vclock):
    notifier = RecordingNotifier(watchdog_usec=2_000_000)
    pin = Pin()
    lifeline = Lifeline(pin, stall_seconds=2.0)
    sup = Supervisor(vclock, notifier, lifeline)
    assert sup.tick_seconds == 0.5

    async def scenario():
        sup.start()
        await asyncio.sleep(1.2)
        assert not notifier.is_ready and pin.levels == [False], "not ready, relay at rest, while starting"
        sup.ports_up("fxo1, fxs1")
        await asyncio.sleep(3.0)
        sup.stopping("SIGTERM")

    vclock.loop.run_until_complete(scenario())
    assert notifier.is_ready
    assert len(notifier.sent("WATCHDOG")) == 8  # every 0.5 s for 4.2 s of loop time
    assert notifier.sent("STOPPING") == ["1"]
    assert pin.levels == [False, True, False]
    assert not lifeline.armed


def test_an_unhealthy_engine_does_not_feed_the_watchdog(vclock):
    notifier = RecordingNotifier()
    healthy = {"ok": True}
    sup = Supervisor(vclock, notifier, tick_seconds=1.0, healthy=lambda: healthy["ok"])
    assert sup.tick() is True
    healthy["ok"] = False
    assert sup.tick() is False
    assert notifier.sent("WATCHDOG") == ["1"]


def test_a_failing_health_check_counts_as_unhealthy(vclock, caplog):
    notifier = RecordingNotifier()
    sup = Supervisor(vclock, notifier, tick_seconds=1.0, healthy=lambda: 1 / 0)
    assert sup.tick() is False
    assert notifier.sent("WATCHDOG") == []
    assert "health check failed" in caplog.text


def test_problems_reach_systemctl_status(vclock):
    notifier = RecordingNotifier()
    sup = Supervisor(vclock, notifier, tick_seconds=1.0)
    sup.report("configuration /var/lib/switchboard/config.yaml is corrupt; running on the last good one")
    sup.ports_up("fxo1")
    assert notifier.is_ready
    assert notifier.last_status.startswith("ready; problem: configuration")


# -------------------------------------------------------------------------------- start-up recovery
class FakePort:
    def __init__(self, name, kind, fail=False):
        self.name, self.kind, self.fail = name, kind, fail
        self.commands: list[str] = []

    def release(self):
        self._do("release")

    def stop_ring(self):
        self._do("stop_ring")

    def _do(self, command):
        if self.fail:
            raise PortError(f"{self.name} cannot {command}")
        self.commands.append(command)


def test_recovery_rests_every_relay_output(caplog):
    ports = {"fxo1": FakePort("fxo1", "fxo"), "fxs1": FakePort("fxs1", "fxs"),
             "modem1": FakePort("modem1", "modem"), "fxo2": FakePort("fxo2", "fxo", fail=True)}
    assert recover_ports(ports) == ["fxo2"]
    assert ports["fxo1"].commands == ["release"]
    assert ports["fxs1"].commands == ["stop_ring"]
    assert ports["modem1"].commands == ["release"]
    assert "could not bring fxo2 to rest" in caplog.text


# --------------------------------------------------------------------------------------- data space
def fake_statvfs(free_bytes):
    return lambda path: SimpleNamespace(f_bavail=free_bytes // 4096, f_frsize=4096)


def test_data_space_says_when_a_recording_fits(tmp_path):
    roomy = DataSpace(tmp_path, statvfs=fake_statvfs(100 * 1024 * 1024))
    assert roomy.can_record(180)
    full = DataSpace(tmp_path, statvfs=fake_statvfs(1024 * 1024))
    assert not full.can_record() and full.recordable_seconds() == 0


def test_data_space_on_a_real_directory(tmp_path):
    space = DataSpace(tmp_path, reserve_bytes=0)
    assert space.free_bytes() > 0
    assert space.can_record(1)


def test_unreadable_data_partition_counts_as_full(tmp_path):
    assert DataSpace(tmp_path / "missing").free_bytes() == 0


# ----------------------------------------------------------------------------------------- the board
def test_gpio_backend_named_by_the_unit_must_match_the_board():
    check_gpio_backend("rpigpio", {"SWITCHBOARD_GPIO_BACKEND": "rpigpio"})
    check_gpio_backend("sim", {})
    with pytest.raises(ConfigError) as err:
        check_gpio_backend("sim", {"SWITCHBOARD_GPIO_BACKEND": "rpigpio"})
    assert err.value.errors[0][0] == "board.gpio_backend"


# ------------------------------------------------------------------------------ interrupted recordings
def test_a_recording_cut_by_a_crash_is_kept_as_a_message(tmp_path):
    import wave
    import numpy as np
    from firmware.service import recover_recordings
    from firmware.store import Store

    folder = tmp_path / "voicemail/201"
    folder.mkdir(parents=True)
    part = folder / ".rec-0123456789abcdef.part"
    speech = (np.sin(np.arange(8000 * 3) * 0.3) * 8000).astype("<i2")
    part.write_bytes(b"RIFF" + b"\0" * 40 + speech.tobytes() + b"\x01")  # header says 0; a torn half-sample
    short = folder / ".rec-fedcba9876543210.part"
    short.write_bytes(b"\0" * 44 + b"\0" * 800)
    store = Store(tmp_path / "switchboard.db")
    try:
        kept = recover_recordings(tmp_path, store)
        assert [p.name[:4] for p in kept] == ["msg-"] and kept[0].parent == folder
        with wave.open(str(kept[0])) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
            assert wav.getnframes() == len(speech)
            assert np.array_equal(np.frombuffer(wav.readframes(len(speech)), "<i2"), speech)
        messages = store.messages("201")
        assert len(messages) == 1 and messages[0]["duration_s"] == 3.0
        assert store.get(f"voicemail.partial.{messages[0]['id']}") is True
        assert not part.exists() and not short.exists(), "no part file is left behind"
        assert recover_recordings(tmp_path, store) == [], "a second start finds nothing to do"
    finally:
        store.close()


def test_a_filling_data_partition_is_reported_once_and_cleared(vclock, tmp_path):
    free = {"bytes": 100 * 1024 * 1024}
    space = DataSpace(tmp_path, statvfs=lambda p: SimpleNamespace(f_bavail=free["bytes"] // 4096, f_frsize=4096))
    notifier = RecordingNotifier()
    changes = []
    sup = Supervisor(vclock, notifier, tick_seconds=0.5, space=space, on_space=changes.append)

    async def scenario():
        sup.start()
        sup.ports_up()
        await asyncio.sleep(61)
        free["bytes"] = 512 * 1024
        await asyncio.sleep(61)
        await asyncio.sleep(61)
        free["bytes"] = 50 * 1024 * 1024
        await asyncio.sleep(61)
        sup.stopping()

    vclock.loop.run_until_complete(scenario())
    assert changes == [True, False]
    assert any("data partition is full" in s for s in notifier.sent("STATUS"))
    assert notifier.sent("STATUS")[-2] == "ready" and not sup.problems


# ------------------------------------------------------------------------------------ boot configuration
def test_a_corrupt_configuration_at_boot_falls_back_to_the_last_good_one(tmp_path):
    from firmware import config as configuration
    from firmware.service import boot_config, last_good_path

    def load(args, data_dir):
        return configuration.load(args.config), args.config

    good = tmp_path / "config.yaml"
    good.write_text(configuration.example_text())
    args = SimpleNamespace(config=str(good), sim=False)
    config, path, problems = boot_config(args, tmp_path, load)
    assert problems == [] and path == str(good)
    configuration.remember_good(config, last_good_path(tmp_path))

    good.write_text("office: [this is not\n  valid yaml")
    config, path, problems = boot_config(args, tmp_path, load)
    assert problems and config.get("office")["name"] == "Example Office"
    assert str(path) == str(good), "the next save replaces the bad document"


def test_a_corrupt_configuration_without_a_last_good_one_is_refused(tmp_path):
    from firmware import config as configuration
    from firmware.service import boot_config

    bad = tmp_path / "config.yaml"
    bad.write_text("schema_version: 1\nboard: 7\n")
    args = SimpleNamespace(config=str(bad), sim=False)
    with pytest.raises(ConfigError):
        boot_config(args, tmp_path, lambda a, d: (configuration.load(a.config), a.config))


def test_boot_refuses_a_board_whose_backend_is_not_the_units(tmp_path, monkeypatch):
    from firmware import config as configuration
    from firmware.service import boot_config

    good = tmp_path / "config.yaml"
    good.write_text(configuration.example_text())  # gpio_backend: sim
    monkeypatch.setenv("SWITCHBOARD_GPIO_BACKEND", "rpigpio")
    load = lambda a, d: (configuration.load(a.config), a.config)  # noqa: E731
    with pytest.raises(ConfigError) as err:
        boot_config(SimpleNamespace(config=str(good), sim=False), tmp_path, load)
    assert err.value.errors[0][0] == "board.gpio_backend"
    # --sim runs the simulated board whatever the unit says
    boot_config(SimpleNamespace(config=str(good), sim=True), tmp_path, load)


# ------------------------------------------------------------------------------------------- the store
def test_a_store_that_cannot_open_on_the_data_partition_falls_back_to_ram(vclock, tmp_path):
    from firmware.service import open_data_store, store_in_ram

    good = open_data_store(vclock, tmp_path / "data")
    try:
        assert not store_in_ram(good, tmp_path / "data")
    finally:
        good.close()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "switchboard.db").write_bytes(b"this is not a database" * 100)
    run = tmp_path / "run"
    run.mkdir()
    store = open_data_store(vclock, broken, environ={"RUNTIME_DIRECTORY": str(run)})
    try:
        assert store_in_ram(store, broken) and str(store.path).startswith(str(run))
        store.put("still", "works")
        assert store.get("still") == "works"
    finally:
        store.close()


def test_data_in_ram_is_noticed_from_the_mount_table(tmp_path):
    from firmware.service import volatile_data

    table = tmp_path / "mountinfo"
    table.write_text(
        "22 1 179:2 / /media/root-ro ro,relatime - ext4 /dev/mmcblk0p2 ro\n"
        "23 1 0:21 / / rw,relatime - overlay overlayroot rw,lowerdir=/media/root-ro\n"
        "30 23 179:3 / /var/lib/switchboard rw,noatime - ext4 /dev/mmcblk0p3 rw\n"
        "31 23 0:25 / /run rw,nosuid - tmpfs tmpfs rw\n"
    )
    assert volatile_data(Path("/var/lib/switchboard"), str(table)) is None
    assert volatile_data(Path("/var/lib/switchboard/voicemail"), str(table)) is None
    assert volatile_data(Path("/var/lib/switchboard-old"), str(table)) == "overlay"
    assert volatile_data(Path("/run/switchboard"), str(table)) == "tmpfs"
    assert volatile_data(Path("/x"), str(tmp_path / "absent")) is None


def test_a_lifeline_pin_that_cannot_be_opened_is_reported_and_the_box_runs(tmp_path, monkeypatch):
    """A safety feature that fails must not take the phones down: the relay stays at rest (FXS 1 on FXO 1)."""
    import io

    from boxproc import DaemonThread
    from drivers.errors import HardwareError
    from firmware import config as configuration
    from firmware.daemon import Daemon
    from firmware.service import attach
    from firmware.service import boot

    def broken(*args, **kwargs):
        raise HardwareError("GPIO26 is claimed by another process")

    monkeypatch.setattr(boot, "_open_lifeline", broken)
    daemon = Daemon(configuration.load(None), None, tmp_path, sim=True, web=False, out=io.StringIO())
    supervisor = attach(daemon, [], environ={})
    runner = DaemonThread(daemon)
    try:
        runner.wait_ready(supervisor)
        assert supervisor().lifeline is None
        assert "lifeline relay cannot be driven" in supervisor().status_line()
    finally:
        runner.stop()
    assert not runner.thread.is_alive()
