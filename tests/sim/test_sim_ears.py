"""What simulated people recognise: each call-progress tone at any phase, and never the wrong one."""
from __future__ import annotations

import asyncio

import pytest

from drivers.dsp.tones import ToneGenerator
from drivers.sim.audio import Ear, speech


def listen(vclock, country, tone, seconds, skip=0.0):
    ear = Ear(vclock)
    gen = ToneGenerator(country, tone)
    gen.read(int(skip * 8000))          # start somewhere inside the cadence

    async def feed():
        for _ in range(int(seconds / 0.02)):
            ear.hear(gen.read(160))
            await asyncio.sleep(0.02)

    vclock.loop.run_until_complete(feed())
    return ear


@pytest.mark.parametrize("skip", [0.0, 0.7, 1.9, 2.5, 4.1, 5.5])
def test_ringback_is_recognised_whatever_the_phase(vclock, skip):
    ear = listen(vclock, "US", "ringback", 12.7, skip)
    assert ear.hears("ringback", "US")
    assert not ear.hears("busy", "US") and not ear.hears("dial", "US")


@pytest.mark.parametrize("country,tone,other", [("US", "busy", "reorder"), ("US", "reorder", "busy"),
                                                ("GB", "ringback", "busy"), ("DE", "busy", "reorder"),
                                                ("US", "dial", "busy")])
def test_each_tone_and_not_its_neighbour(vclock, country, tone, other):
    ear = listen(vclock, country, tone, 13.0)
    assert ear.hears(tone, country) and not ear.hears(other, country)


def test_speech_and_silence_are_not_tones(vclock):
    ear = Ear(vclock)

    async def feed():
        voice = speech(3.0)
        for k in range(150):
            ear.hear(voice[k * 160:(k + 1) * 160])
            await asyncio.sleep(0.02)

    vclock.loop.run_until_complete(feed())
    assert ear.hears("sound") and not ear.hears("silence")
    assert not any(ear.hears(tone, "US") for tone in ("dial", "busy", "reorder", "ringback"))


def test_unknown_tone_names_are_refused(vclock):
    with pytest.raises(ValueError, match="unknown tone"):
        Ear(vclock).hears("ringing", "US")
