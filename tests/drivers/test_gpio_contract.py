"""One GPIO contract, run against every backend: sim always, the RPi.GPIO backend over a stand-in library
always, and the real RPi.GPIO on a Raspberry Pi when SWITCHBOARD_REAL_HW=1.

Real hardware: wire BCM ``SWITCHBOARD_TEST_PINS`` (default "20,21": output,input) together with a 1 kΩ resistor.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import types

import pytest

from drivers.clock import LoopClock
from drivers.errors import BackendUnavailable, ConfigError, HardwareError
from drivers.gpio import open_factory
from drivers.gpio.rpigpio import RpiGpioFactory
from drivers.gpio.sim import SimFactory

REAL = os.environ.get("SWITCHBOARD_REAL_HW") == "1"
OUT, IN = (int(n) for n in os.environ.get("SWITCHBOARD_TEST_PINS", "20,21").split(","))


class StandInGpio(types.SimpleNamespace):
    """Behaves like RPi.GPIO for two wired lines: edge callbacks arrive on a library thread."""

    BCM, IN, OUT, HIGH, LOW, BOTH = 11, 1, 0, 1, 0, 33
    PUD_OFF, PUD_UP, PUD_DOWN = 20, 22, 21

    def __init__(self, wires: dict[int, int]) -> None:
        super().__init__()
        self.wires = wires
        self.levels: dict[int, int] = {}
        self.callbacks: dict[int, object] = {}
        self.threads: list[threading.Thread] = []

    def setwarnings(self, flag): pass
    def setmode(self, mode): self.mode = mode

    def setup(self, n, direction, pull_up_down=None, initial=None):
        if direction == self.OUT:
            self.levels[n] = initial or 0
        else:
            self.levels[n] = 1 if pull_up_down == self.PUD_UP else 0

    def input(self, n): return self.levels[n]

    def output(self, n, value):
        self.levels[n] = int(bool(value))
        target = self.wires.get(n)
        if target is not None and self.levels.get(target) != self.levels[n]:
            self.levels[target] = self.levels[n]
            callback = self.callbacks.get(target)
            if callback is not None:
                thread = threading.Thread(target=callback, args=(target,))
                self.threads.append(thread)
                thread.start()
                thread.join(1.0)

    def add_event_detect(self, n, edge, callback=None): self.callbacks[n] = callback
    def remove_event_detect(self, n): self.callbacks.pop(n, None)
    def cleanup(self, n=None): self.levels.pop(n, None)


def _sim(clock):
    factory = SimFactory(clock)
    return factory, lambda: factory.connect(OUT, IN)


def _stand_in(clock):
    factory = RpiGpioFactory(clock, library=StandInGpio({OUT: IN}))
    return factory, lambda: None


def _real(clock):
    return open_factory({"gpio_backend": "rpigpio", "profile": "reference"}, clock), lambda: None


BACKENDS = [pytest.param(_sim, id="sim"), pytest.param(_stand_in, id="rpigpio-stand-in"),
            pytest.param(_real, id="rpigpio-real", marks=[pytest.mark.hardware,
                         pytest.mark.skipif(not REAL, reason="set SWITCHBOARD_REAL_HW=1 on a wired Pi")])]


@pytest.fixture
def clock():
    loop = asyncio.new_event_loop()
    clock = LoopClock(loop)
    yield clock
    loop.close()


@pytest.fixture(params=BACKENDS)
def wired(request, clock):
    factory, connect = request.param(clock)
    out = factory.pin(OUT, "out")
    inp = factory.pin(IN, "in", pull="down")
    connect()
    yield factory, out, inp
    factory.close()


def settle(clock, predicate, timeout=1.0):
    """Run the loop until ``predicate()`` holds (edges from a library thread need the loop to turn)."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        clock.loop.run_until_complete(asyncio.sleep(0.005))
    return predicate()


def test_output_drives_the_wired_input(wired):
    factory, out, inp = wired
    out.set(True)
    assert out.state is True and inp.state is True
    out.set(False)
    assert inp.state is False


def test_edges_carry_clock_timestamps_and_arrive_on_the_loop(wired, clock):
    factory, out, inp = wired
    seen = []
    inp.when_changed(lambda t, state: seen.append((t, state, threading.get_ident())))
    before = clock.now()
    out.set(True)
    out.set(False)
    assert settle(clock, lambda: len(seen) >= 2)
    after = clock.now()
    assert [s for _, s, _ in seen[:2]] == [True, False]
    assert all(before <= t <= after for t, _, _ in seen)
    assert {tid for _, _, tid in seen} == {threading.get_ident()}


def test_stopping_edges(wired, clock):
    factory, out, inp = wired
    seen = []
    stop = inp.when_changed(lambda t, state: seen.append(state))
    out.set(True)
    settle(clock, lambda: seen)
    stop()
    out.set(False)
    settle(clock, lambda: False, timeout=0.05)
    assert seen == [True]


def test_misuse_is_refused(wired):
    factory, out, inp = wired
    with pytest.raises(HardwareError, match="input"):
        inp.set(True)
    with pytest.raises(HardwareError, match="already in use"):
        factory.pin(OUT, "out")
    with pytest.raises(ValueError, match="BCM"):
        factory.pin(99, "in")
    with pytest.raises(ValueError, match="pull"):
        factory.pin(3, "out", pull="up")
    out.close()
    with pytest.raises(HardwareError, match="closed"):
        out.set(True)
    factory.pin(OUT, "out").close()        # a closed pin can be opened again


def test_unknown_backend_is_a_config_error(clock):
    with pytest.raises(ConfigError, match="gpio_backend") as err:
        open_factory({"gpio_backend": "pigpio"}, clock)
    assert err.value.errors[0][0] == "board.gpio_backend"


@pytest.mark.skipif(REAL, reason="this machine has RPi.GPIO")
def test_rpigpio_without_the_library_is_one_clear_error_and_no_fallback(clock, monkeypatch):
    import importlib

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(BackendUnavailable, match="python3-rpi-lgpio"):
        open_factory({"gpio_backend": "rpigpio"}, clock)


def test_rpigpio_on_a_machine_that_is_not_a_pi(clock, monkeypatch):
    import importlib

    def not_a_pi(name):
        raise RuntimeError("This module can only be run on a Raspberry Pi!")

    monkeypatch.setattr(importlib, "import_module", not_a_pi)
    with pytest.raises(BackendUnavailable, match="not a supported Raspberry Pi"):
        open_factory({"gpio_backend": "rpigpio"}, clock)


def test_the_choice_is_logged(clock, caplog):
    with caplog.at_level(logging.INFO, logger="drivers.gpio"):
        factory = open_factory({"gpio_backend": "sim", "profile": "sim"}, clock)
    assert isinstance(factory, SimFactory)
    assert "GPIO backend: sim" in caplog.text


def test_importing_the_drivers_touches_no_hardware():
    import subprocess
    import sys

    code = ("import sys, drivers.gpio, drivers.fxo, drivers.fxs, drivers.panel, drivers.sim; "
            "assert 'RPi' not in sys.modules and 'RPi.GPIO' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_the_header_chip_can_be_named_for_the_lgpio_shim(monkeypatch, tmp_path):
    from drivers.gpio.rpigpio import select_chip

    monkeypatch.delenv("RPI_LGPIO_CHIP", raising=False)
    select_chip(None)
    assert "RPI_LGPIO_CHIP" not in os.environ
    select_chip("gpiochip4")
    assert os.environ["RPI_LGPIO_CHIP"] == "4"
    legacy = tmp_path / "class"                          # /sys/class/gpio/gpiochip571 -> .../gpiochip0
    (tmp_path / "devices" / "gpiochip0").mkdir(parents=True)
    (legacy / "gpiochip571").mkdir(parents=True)
    (legacy / "gpiochip571" / "label").write_text("pinctrl-rp1\n")
    (legacy / "gpiochip571" / "device").symlink_to(tmp_path / "devices" / "gpiochip0")
    select_chip("pinctrl-rp1", sysfs=str(legacy))
    assert os.environ["RPI_LGPIO_CHIP"] == "0"
    with pytest.raises(ConfigError, match="pinctrl-bcm2835"):
        select_chip("pinctrl-bcm2835", sysfs=str(legacy))
