"""Properties that must hold for any input: block-size independence, codec idempotence, no exceptions."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.dsp.callerid import CallerIdDecoder
from drivers.dsp.dtmf import DtmfDetector
from drivers.dsp.levels import alaw_roundtrip, ulaw_roundtrip
from drivers.dsp.progress import ProgressDetector
from drivers.dsp.tones import dtmf

AUDIO = np.concatenate((np.zeros(77, np.int16), dtmf("4#", 60, 50, -12), np.zeros(300, np.int16)))


def _feed(det, x: np.ndarray, cuts: list[int]) -> list:
    out, pos = [], 0
    for c in sorted(set(cuts)) + [x.size]:
        out += det.feed(x[pos:c])
        pos = c
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=AUDIO.size), max_size=12))
def test_dtmf_events_do_not_depend_on_block_boundaries(cuts):
    assert _feed(DtmfDetector(), AUDIO, cuts) == _feed(DtmfDetector(), AUDIO, [])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=-32768, max_value=32767), min_size=1, max_size=200))
def test_g711_round_trip_is_idempotent(values):
    x = np.array(values, dtype=np.int16)
    for rt in (ulaw_roundtrip, alaw_roundtrip):
        once = rt(x)
        assert np.array_equal(rt(once), once)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=-32768, max_value=32767), min_size=0, max_size=700),
       st.integers(min_value=-32768, max_value=32767))
def test_detectors_never_raise_on_arbitrary_audio(values, dc):
    x = np.clip(np.array(values, dtype=np.int32) + dc, -32768, 32767).astype(np.int16)
    for det in (DtmfDetector(), ProgressDetector("UK"), CallerIdDecoder("auto")):
        det.feed(x)
        det.feed(np.full(333, dc, np.int16))
