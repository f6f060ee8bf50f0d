"""The Leg API applications are written against: play, collect, record, hang-up semantics."""
from __future__ import annotations

import numpy as np

from firmware.engine import BufferSink, LegHungUp


def _answer(office, app, port="fxo1"):
    office.engine.register_app("test", app)
    office.emit(port, "ring", count=1)
    office.emit(port, "caller_id", number="5551234", name="CALLER")


def test_play_to_the_end_returns_none_and_sends_the_prompt(office):
    out = []
    office.ports["fxo1"].keep_written = True

    async def app(leg):
        out.append(await leg.play("hello"))
    _answer(office, app)
    office.run(2)
    assert out == [None]
    loud = [f for f in office.ports["fxo1"].written if f.any()]
    assert len(loud) == 50  # one second of prompt = 50 frames
    assert office.kinds("prompt")[0]["name"] == "hello"


def test_barge_in_returns_the_digit_and_typeahead_returns_at_once(office):
    out = []

    async def app(leg):
        out.append(await leg.play("hello"))
        out.append(await leg.play("hello"))
        out.append(await leg.play("hello", interruptible=False))
    _answer(office, app)
    office.run(0.5)
    office.emit("fxo1", "digit", digit="7")
    office.emit("fxo1", "digit", digit="8")
    office.run(3)
    assert out == ["7", "8", None]


def test_collect_timeouts_terminator_and_first(office):
    out = []

    async def app(leg):
        out.append(await leg.collect(4, first_timeout=5, inter_digit_timeout=2))        # nothing: ""
        out.append(await leg.collect(4, 5, 2, first="2"))                               # "2" then 1 → "21"
        out.append(await leg.collect(4, 5, 2))                                          # "3" "#" → "3"
        out.append(await leg.collect(3, 5, 2, done=lambda d: d == "99"))
    _answer(office, app)
    office.run(6)
    assert out == [""]
    office.emit("fxo1", "digit", digit="1")
    office.run(3)
    assert out == ["", "21"]
    office.emit("fxo1", "digit", digit="3")
    office.emit("fxo1", "digit", digit="#")
    office.emit("fxo1", "digit", digit="9")
    office.emit("fxo1", "digit", digit="9")
    office.run(1)
    assert out == ["", "21", "3", "99"]


def test_far_end_hangup_raises_inside_the_app_and_releases_the_line(office):
    caught = []

    async def app(leg):
        try:
            await leg.play("hello")
        except LegHungUp as exc:
            caught.append(exc.leg.hangup_reason)
            raise
    _answer(office, app)
    office.run(0.3)
    office.emit("fxo1", "disconnect", reason="loop_drop")
    office.run(0.1)
    assert caught == ["loop_drop"]
    assert office.ports["fxo1"].names() == ["seize", "release"]
    assert office.engine.lines.lines[0].state == "idle"
    assert office.kinds("hangup")[-1]["by"] == "loop_drop"
    assert office.kinds("call_end")


def test_record_stops_on_hash_with_trim(office):
    results = []
    sink = BufferSink()

    async def app(leg):
        results.append(await leg.record(sink, max_seconds=60))
    _answer(office, app)
    port = office.ports["fxo1"]
    port.captured.extend([np.full(160, 3000, dtype=np.int16)] * 100)
    office.run(2.5)
    port.emit("digit", digit="#", start=office.clock.now() - 0.1)
    office.run(0.1)
    r = results[0]
    assert r.reason == "digit" and r.digit == "#"
    assert 2.4 < r.seconds < 2.7 and 0.09 < r.trim_seconds < 0.2
    assert sink.samples[:16000].min() == 3000


def test_record_kept_on_hangup_and_max_and_silence(office):
    results = []

    async def app(leg):
        results.append(await leg.record(BufferSink(), max_seconds=1.0))
        results.append(await leg.record(BufferSink(), max_seconds=30, silence_seconds=2.0))
        results.append(await leg.record(BufferSink(), max_seconds=30))
        results.append("after")
        await leg.play("hello")
    _answer(office, app)
    office.run(1.1)
    assert results[0].reason == "max" and results[0].seconds == 1.0
    office.run(2.1)
    assert results[1].reason == "silence"
    office.run(1.0)
    office.emit("fxo1", "disconnect", reason="busy_tone")
    office.run(0.2)
    assert results[2].reason == "hangup" and 0.9 < results[2].seconds < 1.3
    assert results[3] == "after"  # record returned; the next await raised LegHungUp
    assert office.kinds("hangup")[-1]["by"] == "busy_tone"


def test_a_crashing_app_is_reported_and_the_line_released(office):
    async def app(leg):
        raise RuntimeError("boom")
    _answer(office, app)
    office.run(0.1)
    assert office.kinds("app_error")[0]["error"] == "boom"
    assert office.ports["fxo1"].names() == ["seize", "release"]


def test_missing_prompt_is_published_and_skipped(office):
    out = []

    async def app(leg):
        out.append(await leg.play("no-such-prompt"))
        out.append(await leg.play_tone("busy", seconds=0.5))
    _answer(office, app)
    office.run(1)
    assert out == [None, None]
    assert office.kinds("prompt_missing")[0]["name"] == "no-such-prompt"
    assert office.kinds("tone")[0]["tone"] == "busy"


def test_destination_arguments_positional_or_target(office):
    got = []

    async def menu(leg, name):
        got.append(("menu", name))
        await office.engine.goto(leg, "vm:201")

    async def vm(leg, **params):
        got.append(("vm", params))
    office.engine.register_app("test", lambda leg: office.engine.goto(leg, "menu:main"))
    office.engine.register_app("menu", menu)
    office.engine.register_app("vm", vm)
    office.emit("fxo1", "ring", count=1)
    office.emit("fxo1", "caller_id", number="1")
    office.run(0.1)
    assert got == [("menu", "main"), ("vm", {"target": "201"})]


def test_redirect_cancels_the_app_and_runs_the_new_destination(office):
    got = []

    async def first(leg):
        await leg.play("hello")
        got.append("first finished")

    async def second(leg, arg):
        got.append(("second", arg))
    office.engine.register_app("second", second)
    _answer(office, first)
    office.run(0.2)
    leg = office.engine.leg_at("fxo1")
    office.engine.redirect(leg, "second:x")
    office.run(0.2)
    assert got == [("second", "x")]
    assert office.kinds("hangup")[-1]["by"] == "app_done"


def test_reconfigure_applies_extensions_and_reports_port_changes(office):
    import copy
    from tests.engine.conftest import OFFICE
    cfg = copy.deepcopy(OFFICE)
    cfg["extensions"][1]["name"] = "Sales team"
    assert office.engine.reconfigure(cfg) == []
    assert office.engine.desk.phones["fxs2"].extension["name"] == "Sales team"
    cfg["lines"].pop()
    assert office.engine.reconfigure(cfg) == ["lines"]


def test_a_prompt_played_to_a_bridged_leg_is_heard_over_the_other_party(office):
    import numpy as np
    out = []

    async def app(leg):
        other = office.engine.new_leg(office.ports["fxs1"], "internal")
        office.engine.bridge(leg, other)
        out.append(await leg.play("short", interruptible=False))
    office.ports["fxo1"].keep_written = True
    office.ports["fxs1"].captured.extend([np.full(160, 5, dtype=np.int16)] * 10)
    _answer(office, app)
    office.run(0.3)
    assert out == [None]                                   # the prompt finished although bridged
    loud = [f[0] for f in office.ports["fxo1"].written if f.any()]
    assert 1005 in loud                                     # prompt (1000) over the other party (5)
