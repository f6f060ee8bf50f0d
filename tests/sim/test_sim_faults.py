"""Bad hardware mid-call: the port reports a fault, the other ports keep serving."""
from __future__ import annotations

import pytest

from drivers.errors import PortError


def test_a_slic_pulled_while_ringing_is_a_fault_and_the_next_phone_still_rings(make_office, run):
    office, events, tick = make_office()
    office.ports["fxs1"].ring("US")
    office.ports["fxs2"].ring("US")
    run(0.5)
    for role in ("shk", "rm", "fr"):
        getattr(office.ports["fxs1"], role).pin.unplug("ribbon cable pulled")
    run(7.0)
    (fault,) = events.of("fxs1", "fault")
    assert "fxs1" in fault.data["reason"] and "ribbon cable pulled" in fault.data["reason"]
    assert not office.ports["fxs1"].ringing
    with pytest.raises(PortError, match="cannot ring"):
        office.ports["fxs1"].ring("US")
    phone2 = office.phones["fxs2"]
    assert phone2.ringing and phone2.rings == 2
    phone2.lift()
    run(0.5)
    assert events.kinds("fxs2") == ["off_hook"]
    for role in ("shk", "rm", "fr"):
        getattr(office.ports["fxs1"], role).pin.plug()
    run(1.5)
    assert events.kinds("fxs1") == ["fault", "fault_cleared"]


def test_a_sound_card_lost_mid_call_is_a_fault_and_the_other_line_keeps_talking(make_office, run):
    office, events, tick = make_office()
    first = office.exchange.call_in(port="fxo1")
    second = office.exchange.call_in(port="fxo2")
    run(1.0)
    office.ports["fxo1"].seize()
    office.ports["fxo2"].seize()
    run(0.5)
    office.ports["fxo1"].audio.unplug("USB codec disconnected")
    second.press("7")
    run(1.0)
    (fault,) = events.of("fxo1", "fault")
    assert "USB codec disconnected" in fault.data["reason"]
    assert [e.data["digit"] for e in events.of("fxo2", "digit")] == ["7"]
    office.ports["fxo1"].audio.plug()
    assert events.kinds("fxo1")[-1] == "fault_cleared"
    assert first.state == "connected"


def test_a_line_interface_that_stops_answering_is_found_by_the_health_check(make_office, run):
    office, events, tick = make_office()
    office.exchange.call_in(port="fxo1")
    run(0.5)
    office.ports["fxo1"].seize()
    run(0.5)
    office.ports["fxo1"].relay.pin.unplug("I/O expander gone")
    run(1.1)
    assert events.kinds("fxo1")[-1] == "fault"
    with pytest.raises(PortError, match="cannot seize"):
        office.ports["fxo1"].release() or office.ports["fxo1"].seize()
    assert not events.of("fxo2", "fault")
