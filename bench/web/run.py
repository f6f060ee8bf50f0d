"""Web UI benchmark: page latency under 20 concurrent clients, and call event -> dashboard time.

    python bench/web/run.py [--clients 20] [--requests 30] [--events 20]

Serves the real app with waitress (16 threads, as ``switchboard web`` does) on 127.0.0.1 and a FakeControl
daemon (the example office with its seeded call log), in a process of its own so the clients do not share
its interpreter lock. Each client is a thread with its own keep-alive connection and a logged-in session;
it fetches the page ``--requests`` times. Printed: p50/p95/max per page
(target p95 <= 50 ms). Then the dashboard's live path: a long-poll on /api/live is waiting when a call rings
in; the time from the daemon publishing the call to the long-poll answering with the caller on a line is
measured ``--events`` times. Only loopback traffic; every loop is bounded.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from argon2 import PasswordHasher  # noqa: E402

from firmware.control import FakeControl  # noqa: E402
from webui import create_app  # noqa: E402
from webui.serve import THREADS  # noqa: E402
from webui.server import WaitressThread  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def session_cookie(app) -> str:
    value = app.session_interface.get_signing_serializer(app).dumps({"admin": True, "_permanent": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def client_run(port: int, path: str, cookie: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        resp = conn.getresponse()
        body = resp.read()
        times.append(time.perf_counter() - t0)
        if resp.status != 200 or not body:
            raise RuntimeError(f"{path}: HTTP {resp.status}")
    conn.close()
    return times


def page_latency(port: int, cookie: str, path: str, clients: int, requests: int) -> dict[str, float]:
    client_run(port, path, cookie, 2)  # warm-up
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda _: client_run(port, path, cookie, requests), range(clients)))
    wall = time.perf_counter() - t0
    times = [t for r in results for t in r]
    return {"n": len(times), "p50_ms": statistics.median(times) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "max_ms": max(times) * 1000, "req_per_s": len(times) / wall}


def event_to_dashboard(port: int, cookie: str, fake: "RemoteFake", events: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/live?seq=-1", headers={"Cookie": cookie})
    seq = json.loads(conn.getresponse().read())["seq"]
    delays = []
    for i in range(events):
        number = f"55509{i:02d}"
        result: dict = {}

        def wait(seq=seq, number=number, result=result):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            s = seq
            deadline = time.perf_counter() + 10
            while time.perf_counter() < deadline:
                c.request("GET", f"/api/live?seq={s}&wait=10", headers={"Cookie": cookie})
                data = json.loads(c.getresponse().read())
                s = data["seq"]
                if any(number in row["detail"] for row in data["state"]["lines"]):
                    result["t"], result["seq"] = time.perf_counter(), s
                    break
            c.close()
        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.05)  # the long-poll is parked in the server
        t0 = time.perf_counter()
        call = fake.call("sim.call_in", number=number)["call"]
        waiter.join(15)
        if "t" not in result:
            raise RuntimeError("the dashboard never showed the call")
        delays.append(result["t"] - t0)
        seq = result["seq"]
        fake.call("sim.hang_up", call=call)
    conn.close()
    return delays


def serve(conn, ready, threads: int = THREADS) -> None:
    """The server process: app + FakeControl + waitress; rings calls in when the parent asks."""
    import logging

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as data, FakeControl() as fake:
        app = create_app({"DATA_DIR": data, "CONTROL": fake, "MENU_TESTER": False,
                          "PASSWORD_HASHER": PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)})
        app.extensions["switchboard.state"].create_admin("benchmark password")
        app.extensions["switchboard.live"].start()  # as switchboard web does
        server = WaitressThread(app, ["127.0.0.1:0"], threads=threads)
        server.start()
        ready.send((server.ports[0], session_cookie(app)))
        try:
            while True:
                cmd, args = conn.recv()
                if cmd == "stop":
                    break
                conn.send(fake.call(cmd, **args))
        finally:
            app.extensions["switchboard.live"].stop()
            server.stop()


class RemoteFake:
    """Calls the server process's FakeControl through a pipe."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def call(self, cmd: str, **args):
        self.conn.send((cmd, args))
        return self.conn.recv()


def main() -> int:
    import multiprocessing

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--events", type=int, default=20)
    ap.add_argument("--threads", type=int, default=THREADS, help="waitress threads (switchboard web uses %(default)s)")
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    ready_recv, ready_send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=serve, args=(child, ready_send, args.threads), daemon=True)
    proc.start()
    try:
        if not ready_recv.poll(60):
            raise RuntimeError("the server process did not start")
        port, cookie = ready_recv.recv()
        print(f"web UI benchmark: waitress {args.threads} threads, FakeControl, {args.clients} concurrent clients, "
              f"{args.requests} requests each")
        for label, path in (("dashboard", "/"), ("extension list", "/extensions/")):
            r = page_latency(port, cookie, path, args.clients, args.requests)
            verdict = "ok" if r["p95_ms"] <= 50 else "over the 50 ms target"
            print(f"  {label:15s} n={r['n']}  p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
                  f"max {r['max_ms']:6.1f} ms  {r['req_per_s']:6.0f} req/s  ({verdict})")
        delays = event_to_dashboard(port, cookie, RemoteFake(parent), args.events)
        print(f"  call event -> dashboard state (long-poll /api/live), {len(delays)} calls: "
              f"p50 {statistics.median(delays) * 1000:.1f} ms  max {max(delays) * 1000:.1f} ms")
    finally:
        parent.send(("stop", {}))
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
