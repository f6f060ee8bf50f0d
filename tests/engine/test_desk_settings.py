"""Desk-phone settings: ``phones[].dialing``."""
from __future__ import annotations

import copy

import pytest

from tests.engine.conftest import OFFICE, Office


@pytest.mark.parametrize("dialing,source,heard", [
    ("tone", "dtmf", True), ("tone", "pulse", False), ("pulse", "pulse", True), ("pulse", "dtmf", False),
    ("pulse", "mt8870", False), ("both", "pulse", True), ("both", "dtmf", True), (None, "pulse", True),
])
def test_a_phone_takes_the_digits_its_dialing_setting_accepts(vclock, dialing, source, heard):
    doc = copy.deepcopy(OFFICE)
    if dialing is not None:
        doc["phones"][1]["dialing"] = dialing          # fxs2, extension 201
    o = Office(vclock, doc).start()
    o.emit("fxs2", "off_hook")
    o.run(0.5)
    for d in "202":
        o.emit("fxs2", "digit", digit=d, source=source)
        o.run(0.2)
    rang = any(c[0] == "ring" for c in o.ports["fxs3"].commands)
    assert rang is heard
    assert bool(o.kinds("digit_ignored")) is not heard
    o.stop()


def test_a_call_is_warned_then_cleared_at_max_call(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["timeouts"]["max_call"] = 120
    o = Office(vclock, doc).start()
    o.emit("fxs2", "off_hook")
    o.run(0.5)
    for d in "202":
        o.emit("fxs2", "digit", digit=d)
        o.run(0.2)
    o.emit("fxs3", "off_hook")
    o.run(80)
    assert o.kinds("max_call_warning") == []
    o.run(10.5)                            # 30 s before the limit
    [warning] = o.kinds("max_call_warning")
    assert len(warning["legs"]) == 2
    assert {e["tone"] for e in o.kinds("tone")} >= {"beep"}
    assert o.kinds("hangup") == []
    o.run(30)
    assert o.kinds("max_call") and {e["by"] for e in o.kinds("hangup")} == {"max_call"}
    assert o.engine.calls == {}
    o.stop()


def test_a_call_that_ends_in_time_leaves_no_timer(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["timeouts"]["max_call"] = 60
    o = Office(vclock, doc).start()
    o.emit("fxs2", "off_hook")
    o.run(5)
    o.emit("fxs2", "on_hook")
    o.run(0.5)
    o.emit("fxs2", "off_hook")            # a new call: its own limit
    o.run(58)
    assert o.kinds("max_call") == [] and o.kinds("max_call_warning") != []
    o.emit("fxs2", "on_hook")
    o.run(10)
    assert o.kinds("max_call") == []
    o.stop()
