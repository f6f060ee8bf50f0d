"""Bad days for the modem line: it stops answering, it is pulled out mid-call — and the other lines carry on."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.modem.connection import ModemConnection
from drivers.modem.fake import FakeModem

from .conftest import advance, make_port, pump
from .test_modem_port import answer, quantized, speech


@pytest.mark.slow  # five real command timeouts of 0.4 s
@pytest.mark.parametrize("fake", ["usr5637"], indirect=True)
def test_a_modem_that_stops_answering_is_reset_with_back_off_and_comes_back(vclock, fake):
    attempts: list[float] = []

    def connect(*args, **kw):
        attempts.append(vclock.now())
        return ModemConnection(*args, **kw)

    port, rec = make_port(vclock, fake, timeout=0.4, connect=connect, ping_interval=30.0, backoff=(1.0, 4.0))
    try:
        pump(vclock, lambda: port.state == "idle")
        fake.hang()
        advance(vclock, 30.001)  # the keep-alive goes unanswered
        pump(vclock, lambda: port.state == "faulted")
        assert rec.kinds() == ["fault"]
        assert "did not answer 'AT'" in rec.events[0].data["reason"] and port.fault
        failed_at = [vclock.now()]
        for expected in (1.0, 2.0, 4.0, 4.0):  # doubling, capped at the maximum
            n = len(attempts)
            advance(vclock, expected + 0.001)
            pump(vclock, lambda: len(attempts) == n + 1 and port.state == "faulted")
            assert attempts[-1] - failed_at[-1] == pytest.approx(expected, abs=0.005)
            failed_at.append(vclock.now())
        fake.recover()
        for _ in range(3):  # the next attempt succeeds (allow a retry if a loaded machine is slower than 0.4 s)
            n = len(attempts)
            advance(vclock, 4.001)
            pump(vclock, lambda: len(attempts) > n and port.state in ("idle", "faulted"), timeout=5)
            if port.state == "idle":
                break
        assert rec.kinds() == ["fault", "fault_cleared"] and port.fault is None
        assert port.counters["reopens"] == 1 and fake.commands[-3:] == ["ATZ", "ATE0V1", "AT+VCID=1"]
        fake.ring()
        pump(vclock, lambda: rec.of("ring"))
    finally:
        port.close()


def test_a_modem_pulled_out_mid_call_faults_keeps_what_was_heard_and_returns(vclock, port, fake):
    answer(vclock, port, fake)
    said = speech(3, seed=9)
    fake.say(said)
    pump(vclock, lambda: len(port.audio._capture) >= 3)
    fake.unplug()
    pump(vclock, lambda: port.state == "faulted")
    assert port.rec.kinds()[-2:] == ["fault", "disconnect"]
    assert "disappeared" in port.rec.of("fault")[0].data["reason"]
    assert port.rec.of("disconnect")[0].data["reason"] == "fault"
    heard = np.concatenate([port.read_frame().copy() for _ in range(3)])
    assert np.array_equal(heard, quantized(said))  # nothing already captured is lost
    port.write_frame(np.ones(160, np.int16))  # the engine may still write: harmless
    fake.replug()
    advance(vclock, 1.001)
    pump(vclock, lambda: port.state == "idle")
    assert port.rec.kinds()[-1] == "fault_cleared"
    fake.ring()
    pump(vclock, lambda: port.rec.of("ring"))


def test_one_modem_failing_leaves_the_other_line_serving(vclock, fake):
    other = FakeModem("cx93010")
    one, rec1 = make_port(vclock, fake, "modem1")
    two, rec2 = make_port(vclock, other, "modem2")
    try:
        pump(vclock, lambda: one.state == two.state == "idle")
        fake.unplug()
        other.ring()
        other.send_caller_id(number="5552222", name="ACME", date="0105", time="1000")
        other.ring()
        pump(vclock, lambda: one.state == "faulted" and len(rec2.of("ring")) == 2)
        assert rec2.of("caller_id")[0].data["number"] == "5552222"
        answer(vclock, two, other)
        other.press("3")
        pump(vclock, lambda: rec2.of("digit"))
        assert two.fault is None and rec1.kinds() == ["fault"]
    finally:
        one.close()
        two.close()
        other.stop()


def test_close_stops_every_thread_in_bounded_time(vclock, fake):
    import threading
    before = {t.name for t in threading.enumerate()}
    port, _ = make_port(vclock, fake)
    pump(vclock, lambda: port.state == "idle")
    port.close()
    left = {t.name for t in threading.enumerate()} - before
    assert not left


def test_the_wrong_profile_for_the_modem_is_a_fault_that_says_so(vclock):
    import dataclasses

    from drivers.modem.port import ModemPort
    from drivers.modem.profiles import PROFILES
    from .conftest import Recorder

    conexant = FakeModem("cx93010")
    port = ModemPort("modem1", vclock, conexant.device, dataclasses.replace(PROFILES["usr5637"]))
    rec = Recorder()
    port.subscribe(rec)
    port.open()
    try:
        pump(vclock, lambda: port.state == "idle")
        port.seize()
        pump(vclock, lambda: port.state == "faulted")
        reason = rec.of("fault")[0].data["reason"]
        assert "refused 'AT+VSM=128,8000'" in reason and "usr5637" in reason and "profile" in reason
        assert rec.of("disconnect")[0].data["reason"] == "fault"
    finally:
        port.close()
        conexant.stop()
