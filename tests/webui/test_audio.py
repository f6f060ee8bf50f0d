"""Greetings and prompts: uploads and recordings become 8 kHz telephone WAV; bad files are refused."""
from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from webui_helpers import post


def tone(rate: int = 44100, seconds: float = 0.5, channels: int = 2, fmt: str = "WAV",
         subtype: str = "PCM_16") -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.3 * np.sin(2 * np.pi * 440 * t)
    data = np.stack([mono] * channels, axis=1) if channels > 1 else mono
    out = io.BytesIO()
    sf.write(out, data, rate, format=fmt, subtype=subtype)
    return out.getvalue()


def upload(client, url, data: bytes, filename: str, source: str = "upload", **kw):
    return post(client, url, {"source": source, "audio": (io.BytesIO(data), filename)},
                content_type="multipart/form-data", headers={"Accept": "application/json"}, **kw)


def prompt_file(app, name):
    return app.config["DATA_DIR"] + f"/prompts/{name}.wav"


def test_upload_wav_is_converted_to_8k_mono(logged_in, app):
    resp = upload(logged_in, "/greetings/prompt/greeting-day", tone(44100, 0.5, 2), "hello.wav")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["ok"] and "0.5 s" in resp.get_json()["message"]
    info = sf.info(prompt_file(app, "greeting-day"))
    assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    assert abs(info.frames - 4000) <= 2
    with logged_in.get("/greetings/play/prompt/greeting-day.wav") as played:
        assert played.status_code == 200 and played.mimetype == "audio/wav"
        assert sf.info(io.BytesIO(played.get_data())).samplerate == 8000


@pytest.mark.parametrize("fmt,subtype,name", [("FLAC", "PCM_16", "x.flac"), ("OGG", "VORBIS", "x.ogg"),
                                              ("MP3", "MPEG_LAYER_III", "x.mp3")])
def test_upload_other_formats(logged_in, app, fmt, subtype, name):
    resp = upload(logged_in, "/greetings/mailbox/201/unavailable", tone(22050, 0.6, 1, fmt, subtype), name)
    assert resp.status_code == 200, resp.get_json()
    info = sf.info(app.config["DATA_DIR"] + "/voicemail/201/greeting-unavailable.wav")
    assert info.samplerate == 8000 and 0.5 < info.frames / 8000 < 0.75


def test_browser_recording_is_saved(logged_in, app):
    resp = upload(logged_in, "/greetings/mailbox/202/busy", tone(48000, 0.3, 1), "recording.wav", source="record")
    assert resp.status_code == 200
    assert sf.info(app.config["DATA_DIR"] + "/voicemail/202/greeting-busy.wav").samplerate == 8000


def test_oversized_upload_is_refused(logged_in, app):
    app.config["MAX_AUDIO_UPLOAD"] = 64 * 1024
    resp = upload(logged_in, "/greetings/prompt/greeting-day", tone(44100, 2.0, 2), "big.wav")
    assert resp.status_code == 413
    assert "larger than the box accepts" in resp.get_data(as_text=True)
    assert not (app.config["DATA_DIR"] + "/prompts/greeting-day.wav").endswith("x") and \
        not __import__("os").path.exists(prompt_file(app, "greeting-day"))


def test_a_non_audio_file_named_wav_is_refused(logged_in, app):
    resp = upload(logged_in, "/greetings/prompt/greeting-day", b"MZ\x90\x00 this is not audio" * 50, "evil.wav")
    assert resp.status_code == 400
    assert "not audio the box can read" in resp.get_json()["message"]
    import os
    assert not os.path.exists(prompt_file(app, "greeting-day"))


def test_a_zero_length_recording_is_refused(logged_in, app):
    resp = upload(logged_in, "/greetings/prompt/greeting-night", b"", "recording.wav", source="record")
    assert resp.status_code == 400 and "empty" in resp.get_json()["message"]
    header_only = tone(8000, 0.0, 1)
    resp = upload(logged_in, "/greetings/prompt/greeting-night", header_only, "recording.wav", source="record")
    assert resp.status_code == 400 and "zero length" in resp.get_json()["message"]


def test_silence_and_wrong_extension_are_refused(logged_in):
    silent = io.BytesIO()
    sf.write(silent, np.zeros(8000), 8000, format="WAV")
    resp = upload(logged_in, "/greetings/prompt/greeting-day", silent.getvalue(), "quiet.wav")
    assert resp.status_code == 400 and "silent" in resp.get_json()["message"]
    resp = upload(logged_in, "/greetings/prompt/greeting-day", tone(), "greeting.exe")
    assert resp.status_code == 400 and "WAV, MP3, OGG or FLAC" in resp.get_json()["message"]


@pytest.mark.parametrize("url", ["/greetings/prompt/..%2F..%2Fweb%2Fadmin", "/greetings/prompt/.hidden",
                                 "/greetings/mailbox/..%2F..%2Fweb/unavailable", "/greetings/mailbox/201/..%2Fx",
                                 "/greetings/prompt/a%00b"])
def test_path_traversal_in_a_name_is_refused(logged_in, app, url):
    import os
    before = sorted(os.walk(app.config["DATA_DIR"]))
    resp = upload(logged_in, url, tone(), "x.wav")
    assert resp.status_code in (400, 404)
    assert sorted(os.walk(app.config["DATA_DIR"])) == before
    assert logged_in.get("/greetings/play/prompt/..%2F..%2Fweb%2Fadmin.wav").status_code == 404


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_text_to_speech_preview_and_save(logged_in, app):
    resp = post(logged_in, "/greetings/preview", {"text": "Thank you for calling Acme."})
    assert resp.status_code == 200 and resp.mimetype == "audio/wav"
    assert sf.info(io.BytesIO(resp.data)).samplerate == 8000
    resp = post(logged_in, "/greetings/prompt/greeting-night", {"source": "tts", "text": "We are closed."})
    assert resp.status_code == 302
    assert sf.info(prompt_file(app, "greeting-night")).frames > 4000
    resp = post(logged_in, "/greetings/preview", {"text": "   "})
    assert resp.status_code == 400


def test_remove_own_recording(logged_in, app):
    import os
    upload(logged_in, "/greetings/prompt/greeting-day", tone(), "a.wav")
    resp = post(logged_in, "/greetings/prompt/greeting-day/delete", headers={"Accept": "application/json"})
    assert resp.status_code == 200 and not os.path.exists(prompt_file(app, "greeting-day"))


def test_greetings_page_lists_menu_states_and_mailboxes(logged_in):
    text = logged_in.get("/greetings/").get_data(as_text=True)
    assert "greeting-day" in text and "greeting-night" in text
    assert 'data-save-url="/greetings/mailbox/201/unavailable"' in text


def test_atomic_save_leaves_no_temp_files(logged_in, app):
    import os
    upload(logged_in, "/greetings/prompt/greeting-day", tone(), "a.wav")
    names = os.listdir(app.config["DATA_DIR"] + "/prompts")
    assert names == ["greeting-day.wav"]


def test_espeak_is_not_given_text_on_the_command_line(monkeypatch):
    from webui import audio
    seen = {}

    def fake_run(cmd, **kw):
        seen["cmd"], seen["input"] = cmd, kw.get("input")
        raise subprocess.CalledProcessError(1, cmd)
    monkeypatch.setattr(audio.subprocess, "run", fake_run)
    with pytest.raises(audio.BadInput):
        audio.text_to_speech("--help; rm -rf /")
    assert "--help; rm -rf /" not in " ".join(seen["cmd"]) and seen["input"] == b"--help; rm -rf /"


def test_a_mailbox_greeting_longer_than_the_office_allows_is_refused(logged_in, app):
    import os
    resp = upload(logged_in, "/greetings/mailbox/201/name", tone(4000, 61.0, 1, subtype="PCM_U8"), "long.wav")
    assert resp.status_code == 400 and "longer than 60 seconds" in resp.get_json()["message"]
    assert not os.path.exists(app.config["DATA_DIR"] + "/voicemail/201/greeting-name.wav")


def test_a_greeting_for_a_state_the_menu_lacks_is_saved_and_named_in_the_menu(logged_in, app, fake):
    import os
    assert "lunch" not in fake.call("config.get")["document"]["menus"]["main"]["greeting"]
    page = logged_in.get("/greetings/").get_data(as_text=True)
    assert 'data-save-url="/greetings/menu/main/lunch"' in page and "callers hear the day greeting" in page
    resp = upload(logged_in, "/greetings/menu/main/lunch", tone(), "lunch.wav")
    assert resp.status_code == 200, resp.get_json()
    assert os.path.exists(prompt_file(app, "greeting-lunch"))
    assert fake.call("config.get")["document"]["menus"]["main"]["greeting"]["lunch"] == "greeting-lunch"
    assert upload(logged_in, "/greetings/menu/main/brunch", tone(), "x.wav").status_code == 404
