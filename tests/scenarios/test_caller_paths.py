"""The first caller paths, end to end on the simulated office with the real attendant and voicemail."""
from __future__ import annotations

CALL = """\
start: 2026-01-05T10:00:00-05:00
steps:
  - call: {caller: alice, line: 1, number: "5551234", name: ALICE}
  - expect: {prompt: greeting-day, within: 10}
"""


def test_dial_by_extension_during_the_greeting(simulate):
    r = simulate(CALL + """\
  - wait: 1
  - press: {caller: alice, digits: "202"}
  - expect: {ringing: "202", within: 8}
  - lift: "202"
  - expect: {event: bridge, ports: [fxo1, fxs3], within: 2}
  - speak: {caller: alice, seconds: 2}
  - hang_up: {phone: "202"}
  - expect: {caller_state: alice, state: ended, within: 10}
  - expect: {line: line1, state: idle, within: 2}
""")
    assert r.code == 0, r.failure
    assert [d["digit"] for d in r.events("digit")][:3] == ["2", "0", "2"]


def test_operator(simulate):
    r = simulate(CALL + """\
  - press: {caller: alice, digits: "0"}
  - expect: {ringing: "200", within: 10}
  - lift: "200"
  - expect: {event: bridge, ports: [fxo1, fxs1], within: 2}
  - hang_up: alice
  - expect: {event: hangup, port: fxo1, within: 5}
""")
    assert r.code == 0, r.failure


def test_invalid_input_then_no_input_retries_then_the_operator(simulate):
    r = simulate(CALL + """\
  - press: {caller: alice, digits: "7"}
  - expect: {prompt: menu-invalid, within: 10}
  - expect: {prompt: menu-no-input, within: 60}
  - expect: {ringing: "200", within: 60}
""")
    assert r.code == 0, r.failure
    greetings = [p for p in r.events("prompt") if p["name"] == "greeting-day"]
    assert len(greetings) == 3   # the greeting, then two retries


def test_voicemail_when_the_extension_is_busy(simulate):
    r = simulate("""\
start: 2026-01-05T10:00:00-05:00
steps:
  - lift: "202"
  - wait: 1
  - call: {caller: alice, line: 1, number: "5551234"}
  - expect: {prompt: greeting-day, within: 10}
  - press: {caller: alice, digits: "202"}
  - expect: {event: dial_result, extension: "202", result: busy, within: 10}
  - expect: {event: record_start, within: 40}
  - speak: {caller: alice, seconds: 2}
  - press: {caller: alice, digits: "#"}
  - expect: {event: recording_saved, mailbox: "202", within: 5}
  - expect_not: {ringing: "202", within: 1}
""")
    assert r.code == 0, r.failure
    saved = r.events("recording_saved")[0]
    assert 1.5 < saved["seconds"] < 3.0   # the # tone is cut off


def test_caller_hangs_up_mid_greeting(simulate):
    r = simulate(CALL + """\
  - wait: 1
  - hang_up: alice
  - expect: {event: hangup, port: fxo1, within: 5}
  - expect: {line: line1, state: idle}
  - expect: {led: line1, pattern: "off"}
  - expect_not: {event: recording_saved, within: 30}
  - expect_not: {event: ringing, within: 1}
""")
    assert r.code == 0, r.failure
    assert r.events("call_end")


def test_caller_hangs_up_while_recording_keeps_the_message(simulate, tmp_path):
    r = simulate(CALL + """\
  - press: {caller: alice, digits: "203"}
  - expect: {event: dial_result, extension: "203", result: no_answer, within: 30}
  - expect: {event: record_start, within: 30}
  - speak: {caller: alice, seconds: 4}
  - hang_up: {caller: alice, how: busy_tone}
  - expect: {event: recording_saved, mailbox: "203", within: 15}
  - expect: {led: mwi, pattern: blink}
""")
    assert r.code == 0, r.failure
    saved = r.events("recording_saved")[0]
    assert 3.5 < saved["seconds"] < 6.0   # the busy tone after the hang-up is not part of the message
    from firmware.store import Store
    store = Store(tmp_path / "data" / "switchboard.db")
    rows, total = store.query_calls()
    store.close()
    assert total == 1 and rows[0]["disposition"] == "voicemail" and rows[0]["caller_number"] == "5551234"
    # the mailbox answered (its greeting started after the extension's ring timeout); talk time runs from it
    assert rows[0]["answered_at"] is not None and rows[0]["started_at"] < rows[0]["answered_at"]
    assert 4.0 < rows[0]["talk_s"] < rows[0]["duration_s"]
    wavs = list((tmp_path / "data").rglob("*.wav"))
    assert any("203" in str(p) for p in wavs)
    assert not list((tmp_path / "data").rglob("*.part"))


def test_flash_without_a_number_reconnects_the_held_caller(simulate):
    r = simulate(CALL + """\
  - press: {caller: alice, digits: "0"}
  - expect: {ringing: "200", within: 10}
  - lift: "200"
  - expect: {event: bridge, ports: [fxo1, fxs1], within: 2}
  - flash: "200"
  - expect: {event: hold, within: 2}
  - expect: {event: unhold, within: 12}
  - expect: {event: bridge, ports: [fxs1, fxo1], within: 1}
  - speak: {caller: alice, seconds: 1}
  - hang_up: {phone: "200"}
  - expect: {caller_state: alice, state: ended, within: 10}
""")
    assert r.code == 0, r.failure
    assert not r.events("transfer")
