"""The lifeline relay: energised only while the engine loop beats; at rest FXS 1 is joined to FXO 1."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from drivers.errors import ZombieThread
from firmware.lifeline import Lifeline, StateMirror, read_mirror, relay_energised


class RecordingPin:
    """An output pin that remembers every level it was driven to."""

    def __init__(self) -> None:
        self.levels: list[bool] = []
        self.changed = threading.Event()

    def set(self, value: bool) -> None:
        self.levels.append(value)
        self.changed.set()

    @property
    def level(self) -> bool:
        return self.levels[-1]


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make(**kw):
    pin, now = RecordingPin(), FakeTime()
    return Lifeline(pin, monotonic=now, **kw), pin, now


def test_rests_until_the_ports_are_up():
    lifeline, pin, now = make()
    lifeline.rest()
    lifeline.heartbeat()
    assert pin.levels == [False] and not lifeline.energised
    lifeline.arm()
    assert pin.level is True and lifeline.energised


def test_a_stall_of_more_than_two_seconds_drops_the_relay():
    lifeline, pin, now = make()
    lifeline.arm()
    now.t += 1.9
    assert lifeline.check() is False and lifeline.energised
    lifeline.heartbeat()
    now.t += 2.0
    assert lifeline.check() is False, "exactly the stall limit is not yet a stall"
    now.t += 0.01
    assert lifeline.check() is True
    assert pin.level is False and lifeline.stalls == 1
    assert lifeline.check() is False, "dropping twice does not count twice"


def test_the_relay_picks_up_again_when_the_loop_ticks_again():
    lifeline, pin, now = make()
    lifeline.arm()
    now.t += 5
    lifeline.check()
    lifeline.heartbeat()
    assert pin.levels == [True, False, True]


def test_active_low_relay_driver():
    lifeline, pin, now = make(active_high=False)
    lifeline.rest()
    lifeline.arm()
    assert pin.levels == [True, False]


def test_stall_seconds_must_be_positive():
    with pytest.raises(ValueError):
        Lifeline(RecordingPin(), stall_seconds=0)


def test_watcher_thread_drops_a_stalled_relay_and_stops_cleanly():
    pin = RecordingPin()
    lifeline = Lifeline(pin, stall_seconds=0.1)
    lifeline.start()
    lifeline.arm()
    pin.changed.clear()
    assert pin.changed.wait(2.0), "the watcher did not drop the relay"
    assert pin.level is False and lifeline.stalls == 1
    lifeline.stop(timeout=1.0)
    assert not any(t.name == "lifeline-watcher" for t in threading.enumerate())


def test_stop_rests_the_relay():
    pin = RecordingPin()
    lifeline = Lifeline(pin, stall_seconds=5)
    lifeline.start()
    lifeline.arm()
    lifeline.stop()
    assert pin.level is False and not lifeline.armed


def test_a_watcher_that_will_not_stop_is_a_zombie():
    pin = RecordingPin()
    lifeline = Lifeline(pin, stall_seconds=5)
    release = threading.Event()
    lifeline._thread = threading.Thread(target=release.wait, args=(5,), daemon=True)
    lifeline._thread.start()
    with pytest.raises(ZombieThread):
        lifeline.stop(timeout=0.05)
    release.set()


def test_mirror_reports_the_level_and_owner(tmp_path):
    path = tmp_path / "lifeline.state"
    lifeline = Lifeline(RecordingPin(), mirror=StateMirror(path))
    lifeline.rest()
    assert read_mirror(path).level is False and not relay_energised(path)
    lifeline.arm()
    state = read_mirror(path)
    assert state.level is True and state.pid == os.getpid()
    assert relay_energised(path)


def test_relay_drops_when_the_owning_process_dies(tmp_path):
    """A killed process cannot hold its pin: the relay coil sees the level only while the owner lives."""
    path = tmp_path / "lifeline.state"
    code = (
        "import sys, signal, os\n"
        "from firmware.lifeline import Lifeline, StateMirror\n"
        "class P:\n"
        "    def set(self, value): pass\n"
        f"Lifeline(P(), mirror=StateMirror({str(path)!r})).arm()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=30)
    assert proc.returncode == -9
    assert read_mirror(path).level is True, "the file still says high: only the process is gone"
    assert not relay_energised(path)


def test_missing_or_torn_mirror_is_rest(tmp_path):
    assert not relay_energised(tmp_path / "absent")
    (tmp_path / "torn").write_text("1 ")
    assert read_mirror(tmp_path / "torn") is None


def test_open_lifeline_on_the_simulated_board_mirrors_the_relay(vclock, tmp_path):
    from drivers.gpio.sim import SimFactory
    from firmware.lifeline import open_lifeline
    factory = SimFactory(vclock)
    board = {"profile": "sim", "gpio_backend": "sim", "lifeline": {"pin": 26, "stall_seconds": 1.5}}
    lifeline = open_lifeline(board, factory, {"RUNTIME_DIRECTORY": str(tmp_path)})
    assert lifeline.stall_seconds == 1.5
    lifeline.rest()
    assert lifeline.pin.number == 26 and lifeline.pin.state is False
    lifeline.arm()
    assert lifeline.pin.state is True
    assert relay_energised(tmp_path / "lifeline.state")
    lifeline.stop()
    assert not relay_energised(tmp_path / "lifeline.state")


def test_open_lifeline_defaults_to_the_reference_pin_and_no_mirror_on_hardware(vclock):
    from firmware.lifeline import open_lifeline

    class Factory:
        def pin(self, number, mode="in", pull=None, initial=False):
            self.opened = (number, mode, initial)
            return RecordingPin()

    factory = Factory()
    lifeline = open_lifeline({"profile": "reference", "gpio_backend": "rpigpio"}, factory,
                             {"RUNTIME_DIRECTORY": "/run/switchboard"})
    assert factory.opened == (26, "out", False)
    assert lifeline.mirror is None and lifeline.stall_seconds == 2.0
