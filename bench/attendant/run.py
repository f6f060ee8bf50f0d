"""Attendant benchmark: prompt start latency, and 10 000 simulated attendant calls in virtual time.

    python bench/attendant/run.py [--calls N] [--lines L]

1. Prompt start latency (real time, real asyncio loop, the real engine and attendant over probe ports):
   from answering a line to the first frame of the greeting written to the line, and from a key press to
   the first frame of the prompt it leads to (the "not a valid choice" prompt, the info message). Targets
   ≤ 100 ms. Cold (first load of a prompt from disk) and warm figures.
2. N simulated attendant calls (default 10 000) through every path of a test office in virtual time, L
   lines at once: each option, dial-by-extension, 0, a wrong key, no input, the directory, a message left
   after no answer or busy, a hang-up in the greeting. Prints wall time, virtual time, calls per second and
   any stuck port (a line not idle, or a leg still up, after its caller hung up).
"""
from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from drivers.clock import LoopClock, virtual_clock  # noqa: E402
from firmware.attendant.probe import ProbeOffice, ProbePort  # noqa: E402
from firmware.config import load_document  # noqa: E402


def office_config(lines: int) -> dict[str, Any]:
    doc, _ = load_document(None)
    doc = copy.deepcopy(doc)
    doc["lines"] = [{"id": f"line{i}", "port": f"fxo{i}", "label": f"Line {i}"} for i in range(1, lines + 1)]
    doc["menus"]["main"]["options"].update({
        "3": {"action": "submenu", "target": "info"},
        "4": {"action": "directory"},
        "6": {"action": "mailbox", "target": "203"},
        "9": {"action": "hangup"}})
    doc["menus"]["info"] = {"greeting": {"day": "greeting-default"}, "dial_by_extension": False,
                            "options": {"1": {"action": "info", "prompt": "info-hours"},
                                        "2": {"action": "previous"}}}
    doc["timeouts"]["extension_ring"] = 8
    doc["voicemail"] = dict(doc.get("voicemail") or {}, max_messages=100000, max_silence_seconds=3)
    return doc


# ---------------------------------------------------------------- 1. latency (real time)
class TimedPort(ProbePort):
    """Notes the wall time of the first sound written after ``arm()``."""

    armed: float | None = None
    heard: float | None = None

    def arm(self) -> None:
        self.armed, self.heard = time.perf_counter(), None

    def write_frame(self, frame: np.ndarray) -> None:
        if self.armed is not None and self.heard is None and np.any(frame):
            self.heard = time.perf_counter()


async def _wait_heard(port: TimedPort, limit: float = 2.0) -> float:
    end = time.perf_counter() + limit
    while port.heard is None and time.perf_counter() < end:
        await asyncio.sleep(0.001)
    return ((port.heard or end) - (port.armed or 0.0)) * 1000


async def _latency_run(data: Path, rounds: int) -> dict[str, list[float]]:
    clock = LoopClock(asyncio.get_running_loop())
    doc = office_config(2)
    office = ProbeOffice(clock, doc, data)
    for name, port in list(office.ports.items()):
        timed = TimedPort(name, clock, port.kind)
        office.ports[name] = timed
        office.engine.ports[name] = timed
    office.engine.start()
    office.services.start()
    out: dict[str, list[float]] = {"answer": [], "key": []}
    try:
        for _ in range(rounds):
            port = office.ports["fxo1"]
            assert isinstance(port, TimedPort)
            port.emit("ring", count=1)
            port.arm()
            port.emit("caller_id", number="5551234", name="BENCH")
            out["answer"].append(await _wait_heard(port))
            await asyncio.sleep(0.3)
            port.arm()
            port.emit("digit", digit="7", source="dtmf", start=clock.now())      # a wrong key
            out["key"].append(await _wait_heard(port))
            port.emit("disconnect", reason="loop_drop")
            await asyncio.sleep(0.1)
    finally:
        office.services.stop()
        await office.engine.stop()
        office.store.close()
    return out


def latency(rounds: int = 20) -> None:
    with tempfile.TemporaryDirectory() as data:
        figures = asyncio.run(_latency_run(Path(data), rounds))
    for what, label in (("answer", "answer -> greeting"), ("key", "key press -> next prompt")):
        ms = figures[what]
        print(f"prompt start latency, {label}: cold {ms[0]:.1f} ms, warm median {median(ms[1:]):.1f} ms, "
              f"max {max(ms[1:]):.1f} ms (target <= 100 ms)")


# ---------------------------------------------------------------- 2. many calls (virtual time)
PATHS: list[tuple[str, list[tuple[str, float]]]] = [
    ("option 1 (sales)", [("1", 20)]),
    ("option 2 (support, waits for a second digit)", [("2", 25)]),
    ("dial-by-extension 203", [("203", 20)]),
    ("0 for the operator", [("0", 20)]),
    ("wrong key, then 1", [("7", 3), ("1", 20)]),
    ("no input (retries, then the operator)", [("", 75)]),
    ("submenu, info, previous, 1", [("3", 2), ("1", 8), ("2", 2), ("1", 20)]),
    ("directory: s-u-p, connect", [("4", 3), ("787", 8), ("1", 20)]),
    ("mailbox option, leave a message", [("6", 12), ("speak", 3), ("#", 3)]),
    ("hang up in the greeting", [("hangup", 0)]),
    ("hang-up option", [("9", 5)]),
]


async def _caller(office: ProbeOffice, port: str, steps: list[tuple[str, float]], stats: dict[str, Any]) -> None:
    office.call_in(port, number="5550000", name="BENCH")
    await asyncio.sleep(1.0)
    for keys, wait in steps:
        if keys == "hangup":
            break
        if keys == "speak":
            office.ports[port].captured.extend(__import__("firmware.attendant.probe",
                                                          fromlist=["voice"]).voice(wait))
        else:
            for d in keys:
                office.ports[port].emit("digit", digit=d, source="dtmf", start=office.clock.now())
                await asyncio.sleep(0.15)
        await asyncio.sleep(wait)
    leg = office.engine.leg_at(port)
    if leg is not None:
        office.hang_up(port)
    await asyncio.sleep(2.0)
    line = office.engine.lines.line_of_port(port)
    if office.engine.leg_at(port) is not None or (line is not None and line.state != "idle"):
        stats["stuck"].append(port)
    stats["calls"] += 1


async def _line_worker(office: ProbeOffice, port: str, calls: int, offset: int, stats: dict[str, Any]) -> None:
    for i in range(calls):
        name, steps = PATHS[(i + offset) % len(PATHS)]
        await _caller(office, port, steps, stats)
        stats["paths"][name] = stats["paths"].get(name, 0) + 1
        # desk phones that answered are put back down so the next caller can reach them
        for phone, p in office.ports.items():
            if p.kind == "phone" and office.engine.leg_at(phone) is not None:
                office.put_down(phone)
        await asyncio.sleep(0.5)


def _answer_phones(office: ProbeOffice) -> None:
    """Every other ringing phone is answered (the rest ring out to voicemail)."""
    count = {"n": 0}

    def on_event(event: Any) -> None:
        if event.kind == "ringing":
            count["n"] += 1
            if count["n"] % 2 == 0:
                office.clock.call_later(2.0, office.lift, event.data["phone"])
    office.engine.bus.subscribe(on_event, kinds=["ringing"])


def many_calls(n: int, lines: int) -> None:
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    stats: dict[str, Any] = {"calls": 0, "stuck": [], "paths": {}}
    with tempfile.TemporaryDirectory() as data:
        office = ProbeOffice(clock, office_config(lines), data).start()
        _answer_phones(office)
        t0, v0 = time.perf_counter(), clock.now()
        per_line = n // lines
        workers = [_line_worker(office, f"fxo{i}", per_line + (1 if i <= n % lines else 0), i, stats)
                   for i in range(1, lines + 1)]
        async def all_lines() -> None:
            await asyncio.gather(*workers)
        clock.loop.run_until_complete(all_lines())
        wall, virtual = time.perf_counter() - t0, clock.now() - v0
        legs_left = office.legs_up()
        office.stop()
    clock.loop.close()
    print(f"{stats['calls']} simulated attendant calls on {lines} lines: wall {wall:.1f} s, virtual "
          f"{virtual / 3600:.1f} h ({virtual / max(wall, 1e-9):.0f}x real time, {stats['calls'] / wall:.0f} calls/s)")
    print(f"  paths: " + ", ".join(f"{k} x{v}" for k, v in stats["paths"].items()))
    print(f"  stuck ports: {len(stats['stuck'])} {sorted(set(stats['stuck']))}; legs still up at the end: {legs_left}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=10000)
    p.add_argument("--lines", type=int, default=8)
    p.add_argument("--rounds", type=int, default=20)
    args = p.parse_args(argv)
    latency(args.rounds)
    many_calls(args.calls, args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
