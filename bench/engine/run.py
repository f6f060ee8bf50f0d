"""Engine benchmarks: prints the figures (nothing here is a pass/fail test).

1. Virtual time: wall seconds per simulated call-minute (a caller reaches sales through the attendant and they
   talk for two minutes), in-process and through the ``switchboard simulate`` command (target: a two-minute
   call in under one second of wall time).
2. Real time: ``switchboard run --sim --no-web`` with 2 lines and 4 phones busy (line 1 ↔ 200, line 2 ↔ 201,
   202 ↔ 203): CPU per active call (target ≤ 2 % of one core), the daemon's RSS (target ≤ 60 MB) and audio
   frame deadline misses.
3. Cold start: from exec to the control API answering (target ≤ 1.5 s).

Usage: ``python bench/engine/run.py [--seconds N]`` (N: how long the real-time load is measured, default 10).
"""
from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TWO_MINUTE_CALL = """\
name: a two-minute call
start: 2026-01-05T10:00:00-05:00
steps:
  - call: {caller: alice, line: 1, number: "5551234", name: ALICE}
  - expect: {prompt: greeting-day, within: 10}
  - press: {caller: alice, digits: "201"}
  - expect: {ringing: "201", within: 8}
  - lift: "201"
  - expect: {event: bridge, within: 2}
  - speak: {caller: alice, seconds: 60}
  - speak: {phone: "201", seconds: 60}
  - hang_up: alice
  - expect: {line: line1, state: idle, within: 10}
"""


def virtual_time() -> None:
    from firmware.config import Config, load_document
    from firmware.scenario import parse_scenario
    from firmware.scenario.runner import ScenarioRunner

    config = Config(load_document(None)[0])
    scenario = parse_scenario(TWO_MINUTE_CALL, "two-minute-call")
    best = None
    for _ in range(3):
        out = io.StringIO()
        with tempfile.TemporaryDirectory() as tmp:
            runner = ScenarioRunner(scenario, config, out, data_dir=Path(tmp))
            t0 = time.perf_counter()
            code = runner.run()
            wall = time.perf_counter() - t0
        assert code == 0, runner.failure
        virtual = runner.events[-1].t if runner.events else 0.0
        best = wall if best is None else min(best, wall)
    call_minutes = 2.0
    print(f"virtual time, in-process: whole scenario {virtual:.0f} s simulated in {best:.3f} s wall "
          f"(best of 3); {best / call_minutes:.3f} s wall per simulated call-minute")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "two-minute-call.yaml"
        path.write_text(TWO_MINUTE_CALL)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "firmware.cli", "simulate", str(path)],
                              capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
    status = "passed" if proc.returncode == 0 else f"FAILED ({proc.stderr.strip()[-200:]})"
    print(f"virtual time, `switchboard simulate` (start-up included): two-minute call {wall:.3f} s wall, {status}"
          f" — target < 1 s")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait(predicate, seconds: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the daemon is still starting
            value = None
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit(f"benchmark: timed out waiting for {what}")


def real_time(seconds: float) -> None:
    from firmware.control.client import ControlClient

    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "control.sock"
        t0 = time.perf_counter()
        log = open(Path(tmp) / "daemon.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "firmware.cli", "run", "--sim", "--no-web", "--data", tmp],
                                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            client = ControlClient(sock, timeout=5)
            _wait(lambda: sock.exists() and client.call("ping"), 30, "the control API")
            ready = time.perf_counter() - t0
            print(f"cold start to ready (control API answering): {ready:.2f} s — target ≤ 1.5 s")
            try:
                _measure_load(client, proc.pid, seconds)
            except SystemExit:
                print((Path(tmp) / "daemon.log").read_text()[-3000:])
                raise
            client.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            log.close()


def _measure_load(client, pid: int, seconds: float) -> None:  # type: ignore[no-untyped-def]
    time.sleep(1.0)
    c0, t0 = _cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds / 2)
    idle = (_cpu_seconds(pid) - c0) / (time.perf_counter() - t0)
    client.call("schedule.set_mode", mode="day")
    for line, ext in (("line1", "200"), ("line2", "201")):
        call = client.call("sim.call_in", line=line, number="5551234", name="BENCH")["call"]
        _wait(lambda: any(c["line"] == line for c in client.call("snapshot")["calls"]), 15, f"{line} answered")
        client.call("sim.press", call=call, digits=ext)
        phone = {"200": "fxs1", "201": "fxs2"}[ext]
        _wait(lambda: [p for p in client.call("snapshot")["sim"]["phones"] if p["port"] == phone][0]["ringing"],
              20, f"{ext} ringing")
        client.call("sim.lift", phone=phone)
        client.call("sim.speak", call=call, seconds=seconds + 10)
    client.call("sim.lift", phone="fxs3")
    time.sleep(0.5)
    client.call("sim.dial", phone="fxs3", digits="203")
    _wait(lambda: [p for p in client.call("snapshot")["sim"]["phones"] if p["port"] == "fxs4"][0]["ringing"],
          10, "203 ringing")
    client.call("sim.lift", phone="fxs4")
    client.call("sim.speak", phone="fxs3", seconds=seconds + 10)
    time.sleep(1.0)
    snap = client.call("snapshot")
    connected = sum(1 for c in snap["calls"] if c["state"] == "connected")
    busy_phones = sum(1 for p in snap["phones"] if p["state"] != "idle")
    busy_lines = sum(1 for x in snap["lines"] if x["state"] != "idle")
    misses0 = snap["media"]["misses"]
    c0, t0 = _cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - t0
    load = (_cpu_seconds(pid) - c0) / elapsed
    snap = client.call("snapshot")
    calls = max(connected, 1)
    print(f"real time, {busy_lines} lines and {busy_phones} phones busy ({connected} connected calls), "
          f"{elapsed:.0f} s: daemon CPU {load * 100:.1f} % of a core (idle office {idle * 100:.1f} %); "
          f"per active call {(load - idle) * 100 / calls:.1f} % above idle, {load * 100 / calls:.1f} % all in "
          f"— target ≤ 2 %")
    print(f"daemon RSS with the calls up: {_rss_mb(pid):.1f} MB — target ≤ 60 MB")
    print(f"audio frame deadline misses during the load: {snap['media']['misses'] - misses0} "
          f"(worst lateness so far {snap['media']['worst_late_ms']} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    virtual_time()
    real_time(args.seconds)


if __name__ == "__main__":
    main()
