"""The call log as the engine writes it: answer time and talk time, and writes kept off the loop thread."""
from __future__ import annotations

import threading

from firmware.store import Store

from tests.engine.conftest import Office, office_with_store


def _rows(o, store):
    assert o.engine.flush_call_log()
    return {r["ref"]: r for r in store.query_calls()[0]}


def test_an_incoming_call_answered_by_an_extension_has_answer_and_talk_time(vclock, tmp_path):
    async def app(leg):
        await leg.dial_extension("201")
    o, store = office_with_store(vclock, tmp_path, app)
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number="5551234", name="BOB")
    o.run(4)                               # fxs2 rings for 4 s, then is picked up
    o.emit("fxs2", "off_hook")
    o.run(10)
    o.emit("fxo1", "disconnect")
    o.run(0.5)
    [row] = _rows(o, store).values()
    assert row["disposition"] == "answered" and row["extension"] == "201"
    assert row["answered_at"] is not None
    assert 9.5 <= row["talk_s"] <= 10.5 and 13.5 <= row["duration_s"] <= 15
    o.stop()
    store.close()


def test_an_unanswered_internal_call_has_no_answer_time(vclock, tmp_path):
    o, store = office_with_store(vclock, tmp_path)
    o.lift_and_dial("fxs1", "202")
    o.run(5)
    o.emit("fxs1", "on_hook")
    o.run(0.5)
    [row] = _rows(o, store).values()
    assert row["answered_at"] is None and row["talk_s"] is None and row["disposition"] == "abandoned"
    o.stop()
    store.close()


def test_an_internal_call_answered_later_counts_talk_from_the_pick_up(vclock, tmp_path):
    o, store = office_with_store(vclock, tmp_path)
    o.lift_and_dial("fxs1", "202")
    o.run(6)
    o.emit("fxs3", "off_hook")
    o.run(20)
    o.emit("fxs3", "on_hook")
    o.emit("fxs1", "on_hook")
    o.run(0.5)
    [row] = _rows(o, store).values()
    assert row["extension"] in ("200", "202") and 19.5 <= row["talk_s"] <= 20.5
    o.stop()
    store.close()


def test_call_log_writes_run_on_the_store_writer_thread_in_order(vclock, tmp_path):
    """A slow disk commit must not stall the loop: every call-log write is handed to the writer thread."""
    store = Store.for_clock(tmp_path / "sb.db", vclock)
    seen: list[tuple[str, bool]] = []
    loop_thread = threading.get_ident()
    for name in ("call_started", "call_update", "call_answered", "log_call"):
        real = getattr(store, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            seen.append((_name, threading.get_ident() == loop_thread))
            return _real(*args, **kwargs)
        setattr(store, name, spy)

    async def app(leg):
        await leg.dial_extension("201")
    o = Office(vclock)
    o.engine.store = store
    o.engine.register_app("test", app)
    o.start()
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number="5551234")
    o.run(2)
    o.emit("fxs2", "off_hook")
    o.run(3)
    o.emit("fxs2", "on_hook")
    o.run(0.5)
    o.emit("fxo2", "ring", count=1)
    o.emit("fxo2", "ring_abandoned")
    assert o.engine.flush_call_log()
    names = [n for n, _ in seen]
    assert names[0] == "call_started" and names.index("call_answered") < names.index("log_call")
    assert not any(on_loop for _, on_loop in seen), seen
    rows, total = store.query_calls()
    assert total == 2 and {r["disposition"] for r in rows} == {"answered", "missed"}
    o.stop()
    store.close()
