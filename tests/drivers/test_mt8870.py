"""The MT8870 decoder chip: codes to digits, glitches, a held key, a pulled board, and merging with software."""
from __future__ import annotations

import pytest

from drivers.gpio.board import Signal
from drivers.mt8870 import CODES, DIGIT_CODES, DigitMerger, Mt8870


@pytest.fixture
def chip(vclock, factory, rec):
    std = factory.pin(30, "in", pull="down")
    q = [factory.pin(31 + i, "in", pull="down") for i in range(4)]
    decoder = Mt8870(vclock, Signal(std), [Signal(p) for p in q], rec)
    return decoder, std, q


def key(vclock, std, q, digit, at, hold=0.06):
    code = DIGIT_CODES[digit]

    def down():
        for i, pin in enumerate(q):
            pin.drive(bool(code >> i & 1))
        std.drive_high()

    vclock.call_at(at, down)
    vclock.call_at(at + hold, std.drive_low)


def test_every_key_decodes(vclock, chip, rec, advance):
    decoder, std, q = chip
    keys = "1234567890*#ABCD"
    for i, digit in enumerate(keys):
        key(vclock, std, q, digit, 0.2 * i + 0.1)
    advance(4.0)
    assert "".join(e[2]["digit"] for e in rec.of("digit")) == keys
    first = rec.of("digit")[0][2]
    assert first["source"] == "mt8870" and first["start"] == pytest.approx(0.1) and first["end"] == pytest.approx(0.16)


def test_code_table_matches_the_datasheet():
    assert CODES[0b1010] == "0" and CODES[0b1011] == "*" and CODES[0b1100] == "#"
    assert [CODES[c] for c in (0b1101, 0b1110, 0b1111, 0b0000)] == ["A", "B", "C", "D"]


def test_a_glitch_on_std_is_not_a_digit_and_a_held_key_is_one(vclock, chip, rec, advance):
    decoder, std, q = chip
    key(vclock, std, q, "5", 0.1, hold=0.005)
    key(vclock, std, q, "7", 0.5, hold=2.0)
    advance(3.0)
    assert [e[2]["digit"] for e in rec.of("digit")] == ["7"]


def test_a_pulled_decoder_board_is_a_fault_once(vclock, chip, rec, advance):
    decoder, std, q = chip
    for pin in q:
        pin.unplug("no response")
    vclock.call_at(0.1, std.drive_high)
    vclock.call_at(0.2, std.drive_low)
    vclock.call_at(0.3, std.drive_high)
    vclock.call_at(0.4, std.drive_low)
    advance(1.0)
    assert rec.kinds() == ["fault"]
    for pin in q:
        pin.plug()
    key(vclock, std, q, "9", 1.5)
    advance(1.0)
    assert rec.kinds() == ["fault", "fault_cleared", "digit"]


@pytest.mark.parametrize("trust,expected", [
    ("software", [("5", "dtmf")]), ("mt8870", [("5", "mt8870")]), ("both", [("5", "mt8870")])])
def test_merger_never_reports_a_key_twice(trust, expected):
    merger = DigitMerger(trust)
    passed = []
    for digit, source, start, end in [("5", "mt8870", 1.00, 1.08), ("5", "dtmf", 1.01, 1.10)]:
        if merger.accept(digit, source, start, end):
            passed.append((digit, source))
    assert passed == expected


def test_merger_with_both_keeps_two_presses_of_the_same_key():
    merger = DigitMerger("both")
    assert merger.accept("5", "mt8870", 1.0, 1.1)
    assert not merger.accept("5", "dtmf", 1.0, 1.1)
    assert merger.accept("5", "dtmf", 1.5, 1.6)       # a second press, later
    assert merger.accept("1", "pulse", 1.5, 1.6)


def test_merger_refuses_an_unknown_trust():
    with pytest.raises(ValueError, match="software"):
        DigitMerger("guess")
