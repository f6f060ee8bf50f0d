"""Faults, end to end: the daemon in its own process as systemd runs it (NOTIFY_SOCKET, RUNTIME_DIRECTORY), on the
simulated office in real time, watched from outside — sd_notify messages, the control API, the lifeline relay.

kill -9 during a recording (then SIGTERM with a call up); a corrupt configuration at boot; a full data partition;
a stalled engine loop.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boxproc import BoxProcess, office_config, wait_event

pytestmark = pytest.mark.slow


@pytest.fixture
def box(tmp_path):
    procs: list[BoxProcess] = []

    def make(**kw) -> BoxProcess:
        proc = BoxProcess(tmp_path / f"box{len(procs)}", **kw)
        procs.append(proc)
        return proc

    yield make
    for proc in procs:
        proc.close()


def voicemail_office(tmp_path: Path) -> Path:
    """Calls go straight to mailbox 201 (greeting, beep, record)."""
    return office_config(tmp_path / "config.yaml", trunks={"incoming": {"rings_before_answer": 0,
                                                                         "answer_destination": "mailbox:201"}})


def messages_in(data: Path, mailbox: str) -> list[sqlite3.Row]:
    db = sqlite3.connect(data / "switchboard.db")
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM messages WHERE mailbox = ?", (mailbox,)).fetchall()
    finally:
        db.close()


def open_calls(data: Path) -> int:
    db = sqlite3.connect(data / "switchboard.db")
    try:
        return db.execute("SELECT COUNT(*) FROM calls WHERE ended_at IS NULL").fetchone()[0]
    finally:
        db.close()


def test_kill_9_during_a_recording_keeps_the_message_and_releases_the_line_then_sigterm_ends_calls(box, tmp_path):
    b = box(config=voicemail_office(tmp_path))
    b.start()
    b.wait_ready()
    assert b.relay_energised(), "READY means the lifeline relay holds the ports on the box"
    with b.client() as client, client.events(kinds=["record_start"]) as events:
        caller = b.call_in()
        wait_event(events, "record_start", timeout=40)
    with b.client() as client:
        client.call("sim.speak", caller=caller, seconds=3)
    time.sleep(1.5)
    parts = list((b.data / "voicemail/201").glob(".rec-*.part"))
    assert parts and parts[0].stat().st_size > 44 + 8000, "the recording streams to disk as it comes"

    b.kill()
    assert not b.relay_energised(), "a killed daemon cannot hold the relay: FXS 1 is joined to FXO 1"

    b.start()  # what Restart=on-failure does
    assert not b.relay_energised(), "the relay stays at rest until the new daemon's ports are up"
    b.wait_ready()
    assert b.relay_energised()
    kept = messages_in(b.data, "201")
    assert len(kept) == 1 and kept[0]["duration_s"] >= 1.0, "the message the crash cut short is kept"
    assert Path(kept[0]["path"]).exists() and not list((b.data / "voicemail/201").glob(".rec-*.part"))
    with b.client() as client:
        snap = client.call("snapshot")
    lines = {l.get("port", l.get("name")): l for l in snap.get("lines", [])}
    assert all(l.get("state") == "idle" for l in lines.values()), f"lines released: {lines}"
    assert open_calls(b.data) == 0, "the interrupted call is closed in the call log"
    second = b.call_in("5559876543")
    b.wait_caller(second, "connected", timeout=20)

    # systemctl stop with that call in progress: SIGTERM ends it cleanly within a few seconds
    code, took = b.terminate()
    assert code == 0 and took < 5.0
    assert b.notify.wait_for("STOPPING", "1", timeout=2) is not None
    assert not b.relay_energised()
    assert open_calls(b.data) == 0


def test_a_corrupt_configuration_at_boot_starts_on_the_last_good_one_and_reports(box, tmp_path):
    config = office_config(tmp_path / "config.yaml")
    b = box(config=config)
    b.start()
    b.wait_ready()
    b.terminate()
    assert (b.data / "config.last-good.yaml").exists(), "a box that ran on a document keeps it as last good"

    config.write_text("schema_version: 1\noffice: {name: [broken\n")
    b.start()
    ready = b.notify.wait_for("READY", "1", timeout=60, after=b.started_at)
    assert ready is not None, b.log()
    assert "configuration refused" in ready.get("STATUS", ""), ready
    with b.client() as client:
        snap = client.call("snapshot")
    assert snap["leds"].get("fault") == "on", "the fault lamp tells the office something is wrong"
    fed = len(b.notify.sent("WATCHDOG"))
    time.sleep(1.2)
    assert len(b.notify.sent("WATCHDOG")) >= fed + 2, "WATCHDOG=1 every 0.5 s from the loop's health tick"
    caller = b.call_in()
    b.wait_caller(caller, "connected", timeout=20)


def test_a_corrupt_configuration_with_no_last_good_one_is_refused_with_its_reason(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("schema_version: 1\nboard: 7\n")
    proc = subprocess.run([sys.executable, "-m", "firmware.cli", "run", "--sim", "--no-web", "--config", str(bad),
                           "--data", str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "board" in proc.stderr


@pytest.fixture
def full_partition(tmp_path):
    """A 4 MiB tmpfs, filled to the last block (root only; skipped elsewhere)."""
    mnt = tmp_path / "data"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("this sandbox cannot mount a tmpfs")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(path: Path) -> None:
    """Write until the file system refuses, in big then small pieces."""
    for name, size in (("filler", 65536), ("filler2", 512)):
        try:
            with open(path / name, "ab") as fh:
                while True:
                    fh.write(b"\0" * size)
                    fh.flush()
        except OSError:
            pass


def test_a_full_data_partition_still_answers_plays_prompts_and_says_it_cannot_record(box, tmp_path,
                                                                                     full_partition):
    b = box(config=voicemail_office(tmp_path), data=full_partition)
    b.start()
    b.wait_ready()
    b.terminate()
    fill(full_partition)  # the box restarts (power cut, update) with its data partition full
    b.start()
    ready = b.notify.wait_for("READY", "1", timeout=60, after=b.started_at)
    assert ready is not None, b.log()
    assert "data partition cannot be written" in ready.get("STATUS", ""), ready
    with b.client() as client, client.events(kinds=["prompt", "fault", "answer"]) as events:
        caller = b.call_in()
        wait_event(events, "answer", timeout=30)
        wait_event(events, "prompt", timeout=30)
        wait_event(events, "prompt", timeout=40, name="vm-disk-full")
    assert b.poll() is None, "the daemon is still running"
    assert any("data partition is full" in s for s in b.notify.sent("STATUS")), b.notify.sent("STATUS")
    with b.client() as client:
        assert client.call("snapshot")["leds"].get("fault") == "on"
    assert b.caller_state(caller) in ("connected", "ended")


def test_a_stalled_engine_loop_drops_the_relay_within_2_s_and_picks_up_again(tmp_path):
    """The real daemon in this process, its loop in a thread; a blocking call hangs the loop for 3.5 s."""
    from firmware import config as configuration
    from firmware import service
    from firmware.daemon import Daemon

    import io
    from boxproc import DaemonThread, NotifyListener
    manager = NotifyListener(tmp_path / "notify.sock")
    daemon = Daemon(configuration.load(None), None, tmp_path, sim=True, web=False, out=io.StringIO())
    supervisor = service.attach(daemon, [], environ={"RUNTIME_DIRECTORY": str(tmp_path),
                                                     "NOTIFY_SOCKET": str(manager.path)})
    runner = DaemonThread(daemon)
    try:
        runner.wait_ready(supervisor)
        lifeline = supervisor().lifeline
        assert lifeline.energised
        hang_started = time.monotonic()
        runner.loop.call_soon_threadsafe(time.sleep, 3.5)  # the engine loop hangs
        while lifeline.energised:
            assert time.monotonic() - hang_started < 3.0, "the relay did not drop"
            time.sleep(0.02)
        # dropped once the loop had been silent for more than 2 s, noticed within the watcher's 0.1 s period
        # (measured from the last heartbeat, so a loop already late before the hang does not skew it)
        assert 2.0 < lifeline.last_drop_silence <= 2.5, lifeline.last_drop_silence
        while not lifeline.energised:
            assert time.monotonic() - hang_started < 6.0, "the relay did not pick up when the loop ticked again"
            time.sleep(0.02)
        assert lifeline.stalls == 1
        with manager._cond:
            pings = [t - hang_started for t, m in manager.messages if "WATCHDOG" in m]
        assert not [t for t in pings if 0.2 < t < 3.4], "a hung loop must not feed the watchdog"
        assert any(t > 3.5 for t in pings), "the watchdog is fed again once the loop ticks"
    finally:
        manager.close()
        runner.stop()
    assert not runner.thread.is_alive()
    assert not lifeline.energised
