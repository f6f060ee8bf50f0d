"""System prompts: the catalogue, the rendered audio, overrides by recording, speech by concatenation."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from firmware.prompts import PromptLibrary, PromptMissing, load_catalogue
from firmware.prompts import speech
from firmware.prompts.library import AUDIO_DIR
from firmware.engine.audio import load_wav as read_wav
from firmware.prompts.wavio import write_wav


def test_every_catalogue_prompt_is_rendered_at_8khz():
    lib = PromptLibrary()
    for name in load_catalogue():
        samples = lib.get(name)
        assert samples.dtype == np.int16
        assert 0.1 < len(samples) / 8000 < 30, name
        assert np.abs(samples).max() > 1000, f"{name} is silent"


def test_rendered_files_are_8khz_16bit_mono():
    import wave
    with wave.open(str(AUDIO_DIR / "greeting-day.wav")) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (8000, 2, 1)


def test_a_recording_in_the_data_dir_replaces_a_prompt(tmp_path):
    lib = PromptLibrary(override_dir=tmp_path)
    shipped = lib.get("greeting-day")
    # the office records its own greeting at 16 kHz; the library resamples it
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.int16)
    import wave
    with wave.open(str(tmp_path / "greeting-day.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(tone.tobytes())
    mine = lib.get("greeting-day")
    assert len(mine) == 8000 and len(mine) != len(shipped)
    assert lib.is_override("greeting-day") and not lib.is_override("menu-invalid")


def test_missing_and_bad_names_are_refused():
    lib = PromptLibrary()
    with pytest.raises(PromptMissing):
        lib.get("no-such-prompt")
    with pytest.raises(PromptMissing):
        lib.get("../etc/passwd")
    assert "no-such-prompt" not in lib and "greeting-day" in lib


def test_library_source_plays_frames_then_ends():
    src = PromptLibrary().source("num-3")
    total = 0
    while (chunk := src.read(160)) is not None:
        total += len(chunk)
    assert total == len(PromptLibrary().get("num-3"))


def test_sequence_concatenates():
    lib = PromptLibrary()
    seq = lib.sequence(["vm-you-have", "num-3", "vm-new", "vm-messages"])
    assert len(seq.samples) == sum(len(lib.get(n)) for n in ["vm-you-have", "num-3", "vm-new", "vm-messages"])


def test_write_then_read_wav_round_trip(tmp_path):
    samples = np.arange(-800, 800, dtype=np.int16)
    write_wav(tmp_path / "x.wav", samples)
    assert np.array_equal(read_wav(tmp_path / "x.wav"), samples)
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("n, words", [
    (0, ["num-0"]), (7, ["num-7"]), (13, ["num-13"]), (40, ["num-40"]), (42, ["num-40", "num-2"]),
    (100, ["num-1", "num-hundred"]), (215, ["num-2", "num-hundred", "num-15"]),
    (1001, ["num-1", "num-thousand", "num-1"]),
])
def test_numbers(n, words):
    assert speech.number(n) == words


def test_number_out_of_range():
    with pytest.raises(ValueError):
        speech.number(-1)


def test_message_counts():
    assert speech.message_counts(3, 0) == ["vm-you-have", "num-3", "vm-new", "vm-messages"]
    assert speech.message_counts(1, 1) == ["vm-you-have", "num-1", "vm-new", "vm-message", "vm-and",
                                           "num-1", "vm-saved", "vm-message"]
    assert speech.message_counts(0, 0) == ["vm-you-have", "vm-no-messages"]


def test_received_tuesday_at_2_15_pm():
    now = datetime(2026, 1, 9, 10, 0)        # a Friday
    when = datetime(2026, 1, 6, 14, 15)      # the Tuesday before
    assert speech.day_and_time(when, now) == ["day-tue", "time-at", "num-2", "num-15", "time-pm"]


def test_today_yesterday_and_older_dates():
    now = datetime(2026, 3, 10, 18, 0)
    assert speech.day_and_time(datetime(2026, 3, 10, 9, 5), now)[:5] == \
        ["day-today", "time-at", "num-9", "num-oh", "num-5"]
    assert speech.day_and_time(datetime(2026, 3, 9, 12, 0), now) == \
        ["day-yesterday", "time-at", "num-12", "time-oclock", "time-pm"]
    assert speech.day_and_time(datetime(2026, 2, 23, 0, 30), now) == \
        ["month-2", "num-20", "ordinal-3", "time-at", "num-12", "num-30", "time-am"]


def test_every_spoken_word_is_in_the_catalogue():
    catalogue = load_catalogue()
    words = set()
    for n in range(0, 2000, 7):
        words.update(speech.number(n))
    for d in range(1, 32):
        words.update(speech.ordinal(d))
    for m in range(1, 13):
        for h in range(24):
            words.update(speech.day_and_time(datetime(2026, m, 1, h, (h * 7) % 60), datetime(2026, 12, 31)))
    words.update(speech.digits("0123456789*#"))
    words.update(speech.message_counts(2, 1))
    assert words <= set(catalogue), words - set(catalogue)


def test_render_step_with_espeak_writes_8khz_and_skips_unchanged(tmp_path):
    import shutil
    import wave
    from firmware.prompts.render import render
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    assert render(["num-7"], engine="espeak", out=tmp_path) == ["num-7"]
    with wave.open(str(tmp_path / "num-7.wav")) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (8000, 2, 1)
    assert render(["num-7"], engine="espeak", out=tmp_path) == []
    with pytest.raises(KeyError):
        render(["not-in-catalogue"], engine="espeak", out=tmp_path)
