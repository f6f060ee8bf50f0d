"""sd_notify: what the daemon tells systemd, over a real datagram socket and through the recording fake."""
from __future__ import annotations

import os
import socket

import pytest

from firmware.notify import Notifier, RecordingNotifier


@pytest.fixture
def listener(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(1.0)
    yield path, sock
    sock.close()


def received(sock: socket.socket) -> dict[str, str]:
    data = sock.recv(4096).decode()
    return dict(line.split("=", 1) for line in data.split("\n"))


def test_ready_and_status_arrive_as_one_datagram(listener):
    path, sock = listener
    n = Notifier({"NOTIFY_SOCKET": path})
    assert n.enabled
    assert n.ready("ready: fxo1, fxs1")
    assert received(sock) == {"READY": "1", "STATUS": "ready: fxo1, fxs1"}
    n.close()


def test_watchdog_and_stopping(listener):
    path, sock = listener
    n = Notifier({"NOTIFY_SOCKET": path})
    n.watchdog()
    assert received(sock) == {"WATCHDOG": "1"}
    n.stopping("SIGTERM")
    assert received(sock) == {"STOPPING": "1", "STATUS": "SIGTERM"}
    n.close()


def test_status_newlines_cannot_inject_assignments(listener):
    path, sock = listener
    n = Notifier({"NOTIFY_SOCKET": path})
    n.status("line 1 down\nREADY=1")
    assert received(sock) == {"STATUS": "line 1 down READY=1"}
    n.close()


def test_abstract_namespace_socket():
    name = f"switchboard-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(1.0)
    try:
        n = Notifier({"NOTIFY_SOCKET": "@" + name})
        n.watchdog()
        assert received(sock) == {"WATCHDOG": "1"}
        n.close()
    finally:
        sock.close()


def test_without_notify_socket_nothing_is_sent():
    n = Notifier({})
    assert not n.enabled
    assert n.ready() is False
    assert n.watchdog_interval() is None


def test_a_vanished_manager_is_logged_not_raised(tmp_path, caplog):
    n = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert n.watchdog() is False
    assert n.watchdog() is False
    assert n.errors == 2
    assert sum("could not notify" in r.message for r in caplog.records) == 1
    n.close()


def test_watchdog_interval_is_half_of_watchdogsec():
    assert Notifier({"WATCHDOG_USEC": "10000000"}).watchdog_interval() == 5.0
    assert Notifier({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}).watchdog_interval() == 5.0
    # meant for another process (a parent that exec'd us would have its own pid there)
    assert Notifier({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}).watchdog_interval() is None
    assert Notifier({"WATCHDOG_USEC": "junk"}).watchdog_interval() is None


def test_recording_fake_keeps_messages():
    n = RecordingNotifier(watchdog_usec=4_000_000)
    assert not n.is_ready
    n.status("starting")
    n.ready("ready")
    n.watchdog()
    assert n.is_ready
    assert n.sent("WATCHDOG") == ["1"]
    assert n.last_status == "ready"
    assert n.watchdog_interval() == 2.0


def test_a_manager_that_does_not_read_never_blocks_the_sender(listener):
    """The engine loop sends WATCHDOG=1; a full queue must drop the message, not stall the loop."""
    import time
    path, sock = listener
    n = Notifier({"NOTIFY_SOCKET": path})
    t0 = time.monotonic()
    results = [n.watchdog() for _ in range(2000)]
    assert time.monotonic() - t0 < 2.0
    assert results[0] is True and results[-1] is False and n.errors > 0
    n.close()
