"""The board profile: reference pins by default, overrides, polarity, timing knobs, bad values refused."""
from __future__ import annotations

import pytest

from drivers.errors import ConfigError
from drivers.fxo import build_fxo
from drivers.fxs import build_fxs
from drivers.gpio.board import REFERENCE_PORTS, port_spec
from drivers.panel import build_panel
from drivers.sim.audio import PullChannel

SIM = {"profile": "sim", "gpio_backend": "sim"}


def channel():
    return PullChannel(lambda: None, lambda frame: None)


def test_reference_pins_by_default(vclock, factory):
    fxo = build_fxo("fxo1", vclock, factory, SIM, channel())
    fxs = build_fxs("fxs4", vclock, factory, SIM, channel())
    assert fxo.relay.pin.number == 5 and fxo.ring_in.pin.number == 6 and fxo.ring_in.active_low
    assert fxs.shk.pin.number == 14 and fxs.rm.pin.number == 15 and fxs.fr.pin.number == 18
    panel = build_panel(vclock, factory, SIM)
    assert sorted(panel.leds) == ["fault", "line1", "line2", "mwi", "night"] and list(panel.button_lines) == ["daynight"]


def test_a_port_can_be_rewired_and_retimed(vclock, factory):
    board = {**SIM, "ports": {"fxo1": {"kind": "fxo", "pins": {"relay": 40, "ring": 41},
                                       "active_low": {"ring": False}, "flash_ms": 100, "ring_opto": "half",
                                       "max_burst_ms": 2500}}}
    fxo = build_fxo("fxo1", vclock, factory, board, channel())
    assert fxo.relay.pin.number == 40 and not fxo.ring_in.active_low
    assert fxo.loop is None and fxo.polarity is None
    assert fxo.timing.flash_ms == 100 and fxo.detector.timing.max_burst_ms == 2500
    assert fxo.detector.max_spacing == pytest.approx(1 / 15)     # half-wave opto


def test_unknown_and_bad_knobs_are_refused_with_their_path(vclock, factory):
    board = {**SIM, "ports": {"fxo1": {"flsh_ms": 100}}}
    with pytest.raises(ConfigError) as err:
        build_fxo("fxo1", vclock, factory, board, channel())
    assert err.value.errors[0][0] == "board.ports.fxo1.flsh_ms"
    board = {**SIM, "ports": {"fxs1": {"debounce_ms": -5}}}
    with pytest.raises(ConfigError, match="board.ports.fxs1.debounce_ms"):
        build_fxs("fxs1", vclock, factory, board, channel())
    board = {**SIM, "ports": {"fxs1": {"answer_on_polarity": "yes"}}}
    with pytest.raises(ConfigError, match="answer_on_polarity"):
        build_fxs("fxs1", vclock, factory, board, channel())


def test_a_pin_given_twice_is_refused(vclock, factory):
    board = {**SIM, "ports": {"fxo2": {"pins": {"relay": 5, "ring": 16}}}}
    build_fxo("fxo1", vclock, factory, board, channel())
    with pytest.raises(Exception, match="GPIO5 is already in use"):
        build_fxo("fxo2", vclock, factory, board, channel())


def test_extra_ports_exist_only_in_simulation():
    assert port_spec(SIM, "fxs5")["pins"]["shk"] >= 28
    assert port_spec(SIM, "fxo3")["pins"]["relay"] >= 28
    with pytest.raises(ConfigError, match="board.ports.fxs5"):
        port_spec({"profile": "reference", "gpio_backend": "rpigpio"}, "fxs5")


def test_reference_map_has_no_pin_twice():
    from drivers.gpio.board import REFERENCE_LIFELINE, REFERENCE_PANEL

    numbers = [n for pins in REFERENCE_PORTS.values() for n in pins.values() if n is not None]
    numbers += list(REFERENCE_PANEL["leds"].values()) + list(REFERENCE_PANEL["buttons"].values())
    numbers.append(REFERENCE_LIFELINE)
    assert len(numbers) == len(set(numbers)) == 27
    assert all(0 <= n <= 27 for n in numbers)


def test_mt8870_from_the_profile_feeds_the_fxs_port(vclock, factory, advance):
    board = {**SIM, "mt8870": {"pins": {"std": 1, "q1": 30, "q2": 31, "q3": 32, "q4": 33}, "ports": ["fxs1"]},
             "ports": {"fxs1": {"dtmf_source": "mt8870"}}}
    fxs = build_fxs("fxs1", vclock, factory, board, channel())
    events = []
    fxs.subscribe(events.append)
    fxs.open()
    factory.pins[17].drive_high()
    advance(0.1)
    for n in (30, 32):           # code 0b0101 = "5"
        factory.pins[n].drive_high()
    factory.pins[1].drive_high()
    advance(0.06)
    factory.pins[1].drive_low()
    advance(0.1)
    assert [(e.kind, e.data.get("digit"), e.data.get("source")) for e in events] == [
        ("off_hook", None, None), ("digit", "5", "mt8870")]


def test_trusting_a_chip_the_port_does_not_have_is_refused(vclock, factory):
    board = {**SIM, "ports": {"fxs1": {"dtmf_source": "mt8870"}}}
    with pytest.raises(ConfigError, match="board.mt8870") as err:
        build_fxs("fxs1", vclock, factory, board, channel())
    assert err.value.errors[0][0] == "board.ports.fxs1.dtmf_source"


def test_the_chip_output_enable_is_driven_high(vclock, factory):
    board = {**SIM, "mt8870": {"pins": {"std": 1, "q1": 30, "q2": 31, "q3": 32, "q4": 33, "toe": 34},
                               "ports": ["fxs1"]}}
    build_fxs("fxs1", vclock, factory, board, channel())
    assert factory.pins[34].state is True
