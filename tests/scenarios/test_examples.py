"""Every example scenario in examples/ passes, and a wrong expectation fails naming its line."""
from __future__ import annotations

import pytest

from tests.scenarios.conftest import EXAMPLES, run_text

APPS_NEEDED = ("menu", "voicemail")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_example_passes(path):
    text = path.read_text()
    result = run_text(text, str(path))
    assert result.code == 0, result.failure
    assert result.records[-1]["event"] == "passed"


def test_a_failed_expectation_names_the_step_and_line(simulate):
    result = simulate("steps:\n  - lift: '201'\n  - expect: {prompt: greeting-day, within: 2}\n")
    assert result.code == 1
    assert result.failure["line"] == 3 and result.failure["step"] == 2
    assert "prompt greeting-day" in result.failure["reason"]
    assert result.records[-1]["event"] == "failed"


def test_expect_not_fails_when_it_happens(simulate):
    result = simulate("steps:\n  - lift: '201'\n  - expect_not: {event: tone, tone: dial, within: 2}\n")
    assert result.code == 1 and "must not" in result.failure["reason"]


def test_transcript_lines_are_timestamped_and_ordered(simulate):
    result = simulate("steps:\n  - lift: '202'\n  - wait: 11\n  - hang_up: {phone: '202'}\n  - wait: 2\n")
    assert result.code == 0
    times = [r["t"] for r in result.records]
    assert times == sorted(times)
    kinds = [r["event"] for r in result.records]
    for kind in ("phone", "leg", "tone", "reorder", "hangup", "call_end", "led", "step", "passed"):
        assert kind in kinds
    assert result.events("reorder")[0]["reason"] == "first_digit_timeout"
    assert 10.0 <= result.events("reorder")[0]["t"] <= 10.5
