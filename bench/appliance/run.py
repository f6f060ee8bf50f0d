"""Appliance figures: start to READY, kill -9 to answering again, memory of both services at idle.

    python bench/appliance/run.py [--runs N]

Runs ``switchboard run --sim`` the way systemd runs it (``NOTIFY_SOCKET``, ``RUNTIME_DIRECTORY``; see
tests/appliance/boxproc.py) in real time on this machine, and ``switchboard web`` against it, then prints:

- start → READY=1: from spawning the process to the sd_notify READY (every port open, relay armed);
- kill -9 → answering: from SIGKILL to the restarted daemon's READY, and on to a simulated outside call being
  answered (the caller rings line 1; the box answers after caller ID, as configured — that ring time is part
  of the figure and is printed separately);
- memory at idle: VmRSS of the daemon (simulated office) and of the web page, 3 s after each is up.

What it is not: a test. It prints figures; nothing here passes or fails.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "appliance"))

from boxproc import BoxProcess, rss_kib  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_to_ready(work: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        box = BoxProcess(work / f"ready{i}")
        try:
            box.start()
            times.append(box.wait_ready())
            box.terminate()
        finally:
            box.close()
    return times


def kill_to_answer(work: Path, runs: int) -> list[tuple[float, float, float]]:
    """(kill → READY, READY → answered, kill → answered) per run."""
    out = []
    box = BoxProcess(work / "restart")
    try:
        box.start()
        box.wait_ready()
        for _ in range(runs):
            killed = time.monotonic()
            box.kill()
            box.start()
            box.wait_ready()
            ready = time.monotonic()
            caller = box.call_in()
            box.wait_caller(caller, "connected", timeout=30)
            answered = time.monotonic()
            out.append((ready - killed, answered - ready, answered - killed))
            with box.client() as client:
                client.call("sim.hang_up", caller=caller)
            time.sleep(0.5)
    finally:
        box.close()
    return out


def idle_memory(work: Path) -> tuple[int, int]:
    box = BoxProcess(work / "memory")
    web = None
    try:
        box.start()
        box.wait_ready()
        port = free_port()
        env = dict(os.environ, SWITCHBOARD_WEB_HTTP_PORT="0", PYTHONPATH=str(REPO))
        web = subprocess.Popen([sys.executable, "-m", "firmware.cli", "web", "--data", str(box.data), "--socket",
                                str(box.socket_path), "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(3)
        return box.rss_kib(), rss_kib(web.pid) if web.poll() is None else 0
    finally:
        if web is not None:
            web.terminate()
            try:
                web.wait(10)
            except subprocess.TimeoutExpired:
                web.kill()
        box.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        work = Path(tmp)
        ready = start_to_ready(work, args.runs)
        print(f"start -> READY=1:              median {statistics.median(ready):.2f} s "
              f"(min {min(ready):.2f}, max {max(ready):.2f}, {len(ready)} runs)")
        restarts = kill_to_answer(work, args.runs)
        for label, idx in (("kill -9 -> READY=1 again:", 0), ("READY -> simulated call answered:", 1),
                           ("kill -9 -> call answered:", 2)):
            vals = [r[idx] for r in restarts]
            print(f"{label:32s} median {statistics.median(vals):.2f} s (min {min(vals):.2f}, max {max(vals):.2f})")
        daemon_kib, web_kib = idle_memory(work)
        print(f"memory at idle (VmRSS):        daemon {daemon_kib / 1024:.1f} MiB, web page {web_kib / 1024:.1f} MiB")
    print("(READY -> answered includes the simulated exchange's first ring and caller ID before the box answers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
