"""Ring detection: real cadences ring, transients, pulse dialling, polarity flips and hum do not."""
from __future__ import annotations

import pytest

from drivers.ring import RingDetector, RingTiming
from drivers.sim.ringer import RingSignal


@pytest.fixture
def ring_pin(factory):
    return factory.pin(6, "in", pull="up")


def detector(vclock, pin, rec, **kw):
    det = RingDetector(vclock, rec, **kw)
    pin.when_changed(det.edge)
    return det


def test_us_ringing_gives_two_rings_with_cadence(vclock, ring_pin, rec, advance):
    detector(vclock, ring_pin, rec, country="US")
    RingSignal(vclock, ring_pin, (2000, 4000), hz=20).start(at=1.0, cycles=2)
    advance(8.0)
    rings = rec.of("ring")
    assert [r[2]["count"] for r in rings] == [1, 2]
    assert rings[0][1] == pytest.approx(1.0, abs=0.03)
    assert rings[1][1] == pytest.approx(7.0, abs=0.03)
    assert rings[1][2]["cadence"] == "us"
    end = rec.of("ring_end")[0]
    assert end[2]["cadence"] == "us" and end[1] == pytest.approx(3.0, abs=0.05)


def test_uk_double_ring_is_one_ring(vclock, ring_pin, rec, advance):
    detector(vclock, ring_pin, rec, country="GB")
    RingSignal(vclock, ring_pin, (400, 200, 400, 2000), hz=25).start(at=0.5, cycles=3)
    advance(9.0)
    assert [r[2]["count"] for r in rec.of("ring")] == [1, 2, 3]
    assert rec.of("ring_end")[0][2]["cadence"] == "uk"
    assert rec.of("ring")[1][2]["cadence"] == "uk"


def test_half_wave_opto_at_25_hz(vclock, ring_pin, rec, advance):
    detector(vclock, ring_pin, rec, country="DE", opto="half")
    RingSignal(vclock, ring_pin, (1000, 4000), hz=25, opto="half").start(at=0.0, cycles=2)
    advance(6.0)
    assert rec.of("ring")[1][2]["cadence"] == "de"


def test_abandoned_after_no_further_ring(vclock, ring_pin, rec, advance):
    det = detector(vclock, ring_pin, rec, country="US")
    RingSignal(vclock, ring_pin, (2000, 4000)).start(at=0.0, cycles=1)
    advance(9.5)
    assert "ring_abandoned" not in rec.kinds()
    advance(1.0)
    (abandoned,) = rec.of("ring_abandoned")
    assert abandoned[1] == pytest.approx(2.0 + 8.0, abs=0.05)
    assert det.count == 0


def test_single_transient_and_polarity_flip_are_not_rings(vclock, ring_pin, rec, advance):
    detector(vclock, ring_pin, rec)
    vclock.call_at(1.0, ring_pin.drive_low)
    vclock.call_at(1.3, ring_pin.drive_high)       # one long pulse: a polarity reversal
    for k in range(3):                              # three quick pulses: a line-test transient
        vclock.call_at(2.0 + k * 0.025, ring_pin.drive_low)
        vclock.call_at(2.01 + k * 0.025, ring_pin.drive_high)
    advance(12.0)
    assert rec.events == []


def test_pulse_dialling_on_a_parallel_phone_is_not_a_ring(vclock, ring_pin, rec, advance):
    detector(vclock, ring_pin, rec)
    for k in range(10):   # 10 pps: 60 ms break, 40 ms make
        vclock.call_at(1.0 + k * 0.1, ring_pin.drive_low)
        vclock.call_at(1.06 + k * 0.1, ring_pin.drive_high)
    advance(12.0)
    assert rec.events == []


def test_chattering_opto_edges_still_give_clean_rings(vclock, ring_pin, rec, advance):
    detector(vclock, ring_pin, rec, country="US")
    # every half-cycle bounces three times within a millisecond
    for k in range(80):
        t = 1.0 + k * 0.025
        for b in range(3):
            vclock.call_at(t + b * 0.0003, ring_pin.drive_low)
            vclock.call_at(t + b * 0.0003 + 0.00015, ring_pin.drive_high)
        vclock.call_at(t + 0.012, ring_pin.drive_high)
    advance(4.5)
    assert [r[2]["count"] for r in rec.of("ring")] == [1]
    assert rec.of("ring_end")[0][2]["on_ms"][0] == pytest.approx(2000, abs=60)


def test_mains_hum_without_cadence_is_a_fault_not_a_ring_train(vclock, ring_pin, rec, advance):
    det = detector(vclock, ring_pin, rec, timing=RingTiming(max_burst_ms=3000))
    RingSignal(vclock, ring_pin, (20000, 1000), hz=50, opto="half").start(at=0.0, cycles=1)
    advance(21.5)
    kinds = rec.kinds()
    assert kinds[:3] == ["ring", "ring_end", "fault"]
    assert "fault_cleared" in kinds
    assert kinds.count("ring") == 1
    assert det.count == 0


def test_distinctive_ring_is_classified(vclock, ring_pin, rec, advance):
    detector(vclock, ring_pin, rec, country="US")
    RingSignal(vclock, ring_pin, (1000, 500, 2500, 5000)).start(at=0.0, cycles=2)
    advance(10.0)
    assert rec.of("ring_end")[0][2]["cadence"] == "distinctive4"
    assert rec.of("ring")[1][2]["cadence"] == "distinctive4"


def test_bad_opto_kind_is_refused(vclock, rec):
    with pytest.raises(ValueError, match="full"):
        RingDetector(vclock, rec, opto="quarter")
