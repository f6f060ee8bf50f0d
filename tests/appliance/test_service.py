"""Behaviour under systemd: health tick, readiness, journald logging, start-up recovery, stopping, data space."""
from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import socket
import struct
from types import SimpleNamespace

import pytest

from drivers.errors import ConfigError, PortError
from firmware.lifeline import Lifeline
from firmware.notify import RecordingNotifier
from firmware.service import (DataSpace, JournalHandler, KeyValueFormatter, Supervisor, check_gpio_backend,
                              configure_logging, encode_journal, install_stop_signals,
                              recover_ports, runtime_dir, stop_within)


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
    sup.report("configuration /var/lib/switchboard/office.yaml is corrupt; running on the last good one")
    sup.ports_up("fxo1")
    assert notifier.is_ready
    assert notifier.last_status.startswith("ready; problem: configuration")


# ----------------------------------------------------------------------------------------- logging
def test_key_value_lines_carry_port_and_call():
    record = logging.LogRecord("firmware.engine", logging.WARNING, __file__, 1, "caller hung up %s", ("early",), None)
    record.port, record.call = "fxo1", "c7"
    line = KeyValueFormatter().format(record)
    assert line == 'level=warning logger=firmware.engine port=fxo1 call=c7 msg="caller hung up early"'


def test_journal_native_protocol_fields(tmp_path):
    path = str(tmp_path / "journal.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(1)
    handler = JournalHandler(path, identifier="switchboard")
    logger = logging.getLogger("test.journal")
    logger.addHandler(handler)
    try:
        logger.error("line seized\nby a parallel phone", extra={"port": "fxo2", "call": "c3"})
        data = server.recv(65536)
    finally:
        logger.removeHandler(handler)
        handler.close()
        server.close()
    assert b"PRIORITY=3\n" in data and b"PORT=fxo2\n" in data and b"CALL=c3\n" in data
    assert b"SYSLOG_IDENTIFIER=switchboard\n" in data
    message = b"line seized\nby a parallel phone"
    assert b"MESSAGE\n" + struct.pack("<Q", len(message)) + message + b"\n" in data


def test_journal_handler_falls_back_to_stderr_lines(tmp_path):
    stream = io.StringIO()
    handler = JournalHandler(str(tmp_path / "no-journal.sock"), fallback=stream)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    handler.emit(record)
    handler.close()
    assert stream.getvalue() == "level=info logger=x msg=hello\n"


def test_encode_journal_plain_fields():
    assert encode_journal({"MESSAGE": "hi", "PORT": "fxs1"}) == b"MESSAGE=hi\nPORT=fxs1\n"


def test_configure_logging_chooses_journal_only_under_journald(tmp_path):
    sock_path = tmp_path / "journal.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(sock_path))
    root = logging.getLogger()
    level = root.level
    try:
        h1 = configure_logging(environ={}, stream=io.StringIO(), socket_path=str(sock_path))
        assert isinstance(h1.formatter, KeyValueFormatter)
        h2 = configure_logging(environ={"JOURNAL_STREAM": "8:1234"}, socket_path=str(sock_path))
        assert isinstance(h2, JournalHandler)
        assert h1 not in root.handlers, "configuring again replaces, never doubles, the handler"
    finally:
        root.removeHandler(h2)
        h2.close()
        root.setLevel(level)
        server.close()


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


# ----------------------------------------------------------------------------------------- stopping
def test_sigterm_requests_one_stop(vclock):
    requested = []

    async def scenario():
        uninstall = install_stop_signals(asyncio.get_running_loop(), requested.append)
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(50):
            await asyncio.sleep(0.01)
            if requested:
                break
        uninstall()

    vclock.loop.run_until_complete(scenario())
    assert requested == ["SIGTERM"]


def test_stop_within_forces_after_the_bound(vclock):
    forced = []

    async def stuck():
        await asyncio.sleep(60)

    async def quick():
        await asyncio.sleep(0.5)

    async def scenario():
        assert await stop_within(quick(), 3.0, force=lambda: forced.append(1)) is True
        t0 = vclock.now()
        assert await stop_within(stuck(), 3.0, force=lambda: forced.append(2)) is False
        assert vclock.now() - t0 == pytest.approx(3.0)

    vclock.loop.run_until_complete(scenario())
    assert forced == [2]


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


def test_runtime_dir_from_systemd():
    assert str(runtime_dir({"RUNTIME_DIRECTORY": "/run/switchboard"})) == "/run/switchboard"
    assert runtime_dir({}) is None


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
