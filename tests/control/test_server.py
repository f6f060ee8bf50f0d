"""The control socket: commands, errors, malformed input, event streams, the client's failures."""
from __future__ import annotations

import asyncio
import json
import socket
import stat
from pathlib import Path

import pytest

from drivers.errors import ConfigError, ControlError
from firmware.control import MAX_LINE, ControlClient, ControlServer
from firmware.control.protocol import LineSplitter


def raw(server: ControlServer) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(str(server.path))
    return s


def read_line(s: socket.socket, buf: bytearray) -> dict:
    while b"\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, "the server closed the connection"
        buf += chunk
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return json.loads(line)


def test_sync_and_async_handlers(server, client):
    server.register("sum", lambda a, b: a + b)

    async def later(x: str) -> dict:
        await asyncio.sleep(0.01)
        return {"x": x}

    server.register("later", later)
    assert client.call("sum", a=2, b=3) == 5
    assert client.call("later", x="ok") == {"x": "ok"}
    assert client.call("ping")["pong"] is True
    assert {"sum", "later", "events", "ping"} <= {c["name"] for c in client.call("commands")}


def test_registering_a_name_twice_is_refused(server):
    server.register("a", lambda: 1)
    with pytest.raises(ValueError, match="already registered"):
        server.register("a", lambda: 2)
    server.register("a", lambda: 3, replace=True)


def test_unknown_command_suggests(client):
    with pytest.raises(ControlError) as exc:
        client.call("pnig")
    assert exc.value.code == "unknown_command" and "ping" in str(exc.value)


def test_argument_schema_names_the_path(server, client):
    server.register("presence.set", lambda extension, state: None, schema={
        "type": "object", "required": ["extension", "state"], "additionalProperties": False,
        "properties": {"extension": {"type": "string"}, "state": {"enum": ["available", "away"]}}})
    with pytest.raises(ControlError) as exc:
        client.call("presence.set", extension="201", state="asleep")
    assert exc.value.code == "invalid_args" and "args.state" in str(exc.value)
    with pytest.raises(ControlError) as exc:
        client.call("presence.set", extension="201")
    assert exc.value.code == "invalid_args"


def test_arguments_that_do_not_fit_the_handler(server, client):
    server.register("one", lambda a: a)
    with pytest.raises(ControlError) as exc:
        client.call("one", b=1)
    assert exc.value.code == "invalid_args"


def test_handler_errors_become_error_replies_and_the_connection_stays(server, client):
    def bad_config():
        raise ConfigError("bad", [("extensions[0].number", "required field is missing")])

    def crash():
        raise RuntimeError("boom")

    server.register("bad_config", bad_config)
    server.register("crash", crash)
    server.register("unserialisable", lambda: object())
    with pytest.raises(ControlError) as exc:
        client.call("bad_config")
    assert exc.value.code == "invalid"
    assert exc.value.details == {"errors": [{"path": "extensions[0].number", "reason": "required field is missing"}]}
    for cmd in ("crash", "unserialisable"):
        with pytest.raises(ControlError) as exc:
            client.call(cmd)
        assert exc.value.code == "internal"
    assert client.call("ping")["pong"]


@pytest.mark.parametrize("line, code, req_id", [
    (b"this is not json\n", "bad_request", None),
    (b"[1, 2]\n", "bad_request", None),
    (b'{"id": 5}\n', "bad_request", 5),
    (b'{"id": 6, "cmd": "ping", "args": [1]}\n', "bad_request", 6),
    (b'{"id": 7, "cmd": ""}\n', "bad_request", 7),
    (b"\xff\xfe\n", "bad_request", None),
])
def test_malformed_lines_get_an_error_and_the_connection_stays(server, line, code, req_id):
    s = raw(server)
    buf = bytearray()
    try:
        s.sendall(line)
        reply = read_line(s, buf)
        assert reply["ok"] is False and reply["error"]["code"] == code and reply["id"] == req_id
        s.sendall(b'{"id": 8, "cmd": "ping"}\n')
        assert read_line(s, buf)["result"]["pong"] is True
    finally:
        s.close()


def test_oversized_line_is_refused_and_skipped(server):
    s = raw(server)
    buf = bytearray()
    try:
        s.sendall(b'{"id": 1, "cmd": "ping", "args": {"pad": "' + b"x" * (MAX_LINE + 10) + b'"}}\n')
        reply = read_line(s, buf)
        assert reply["error"]["code"] == "too_large"
        s.sendall(b'{"id": 2, "cmd": "ping"}\n')
        reply = read_line(s, buf)
        assert reply["id"] == 2 and reply["ok"]
    finally:
        s.close()


def test_line_splitter_reports_one_overflow_per_long_line():
    sp = LineSplitter(limit=10)
    assert sp.feed(b"short\nabcdefghijklmnop") == [b"short", None]
    assert sp.feed(b"qrstuvwxyz") == []
    assert sp.feed(b"zz\nok\n") == [b"ok"]
    assert sp.feed(b"0123456789AB\n") == [None]


def test_socket_is_group_only(server):
    mode = stat.S_IMODE(server.path.stat().st_mode)
    assert mode == 0o660 and stat.S_ISSOCK(server.path.stat().st_mode)


def test_event_stream(server, client, loop_thread):
    with client.events(kinds=["call_end", "line"]) as stream:
        assert stream.subscription["subscribed"] is True
        loop_thread.call(server.publish, "ring", line="line1")           # filtered out
        loop_thread.call(server.publish, "line", line="line1", state="ringing")
        loop_thread.call(server.publish, "call_end", call="c1", seconds=12.5)
        first, second = stream.next(timeout=5), stream.next(timeout=5)
        assert (first["event"], first["data"]) == ("line", {"line": "line1", "state": "ringing"})
        assert first["seq"] == 2 and second["event"] == "call_end" and second["seq"] == 3   # "ring" was filtered
        assert "time" in first and "t" in first
        assert stream.next(timeout=0.05) is None
    assert client.call("events", since=0, kinds=["ring"])["events"][0]["data"] == {"line": "line1"}


def test_subscribe_with_backlog_and_prefix(server, client, loop_thread):
    loop_thread.call(server.publish, "call.started", call="c1")
    loop_thread.call(server.publish, "line", line="line1", state="idle")
    with client.events(kinds=["call.*"], since=0) as stream:
        assert stream.next(timeout=5)["event"] == "call.started"
        loop_thread.call(server.publish, "call.ended", call="c1")
        assert stream.next(timeout=5)["event"] == "call.ended"


def test_events_from_another_thread(server, client):
    with client.events() as stream:
        server.publish("fault", port="fxo2", kind="no_loop_current")     # from the test thread
        event = stream.next(timeout=5)
        assert event["event"] == "fault" and event["data"]["port"] == "fxo2"


def test_slow_subscriber_is_cut_off(loop_thread, sockdir):
    srv = ControlServer(sockdir / "c.sock", clock=loop_thread.clock, queue_limit=5)
    loop_thread.run(srv.start())
    try:
        with ControlClient(srv.path).events() as stream:
            def burst() -> None:
                for i in range(50):
                    srv.publish("tick", n=i)
            loop_thread.call(burst)
            kinds = []
            with pytest.raises(ControlError):
                while True:
                    event = stream.next(timeout=5)
                    assert event is not None
                    kinds.append(event["event"])
            assert kinds == ["tick"] * 5 + ["overflow"]
    finally:
        loop_thread.run(srv.stop())


def test_daemon_not_running(sockdir: Path):
    client = ControlClient(sockdir / "nothing.sock", timeout=1)
    with pytest.raises(ControlError) as exc:
        client.call("ping")
    assert exc.value.code == "unavailable" and "not running" in str(exc.value)
    with pytest.raises(ControlError):
        client.events()


def test_stale_socket_replaced_and_live_one_refused(loop_thread, sockdir):
    path = sockdir / "control.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()                                   # a socket file nobody listens on: left by a crash
    first = ControlServer(path, clock=loop_thread.clock)
    loop_thread.run(first.start())
    try:
        second = ControlServer(path, clock=loop_thread.clock)
        with pytest.raises(ControlError) as exc:
            loop_thread.run(second.start())
        assert exc.value.code == "busy"
        with ControlClient(path) as c:
            assert c.call("ping")["pong"]
    finally:
        loop_thread.run(first.stop())
    assert not path.exists()


def test_not_a_socket_is_left_alone(loop_thread, sockdir):
    path = sockdir / "control.sock"
    path.write_text("precious")
    with pytest.raises(ControlError, match="not a socket"):
        loop_thread.run(ControlServer(path).start())
    assert path.read_text() == "precious"


def test_client_reconnects_after_daemon_restart(loop_thread, sockdir):
    path = sockdir / "control.sock"
    srv = ControlServer(path, clock=loop_thread.clock)
    loop_thread.run(srv.start())
    client = ControlClient(path)
    try:
        assert client.call("ping")["pong"]
        loop_thread.run(srv.stop())
        srv = ControlServer(path, clock=loop_thread.clock)
        loop_thread.run(srv.start())
        assert client.call("ping")["pong"]
    finally:
        client.close()
        loop_thread.run(srv.stop())


def test_reply_timeout(server, client):
    async def never() -> None:
        await asyncio.Event().wait()

    server.register("never", never)
    with pytest.raises(ControlError) as exc:
        client.call("never", _timeout=0.2)
    assert exc.value.code == "timeout"
    assert client.call("ping")["pong"]              # a fresh connection after the timeout


def test_too_many_clients(loop_thread, sockdir):
    srv = ControlServer(sockdir / "c.sock", clock=loop_thread.clock, max_clients=1)
    loop_thread.run(srv.start())
    first, second = ControlClient(srv.path), ControlClient(srv.path)
    try:
        assert first.call("ping")["pong"]
        with pytest.raises(ControlError) as exc:
            second.call("ping")
        assert exc.value.code in ("busy", "unavailable")
    finally:
        first.close()
        second.close()
        loop_thread.run(srv.stop())


def test_arguments_that_are_not_json(client):
    with pytest.raises(ControlError) as exc:
        client.call("ping", when=object())
    assert exc.value.code == "bad_request"


def test_event_data_that_is_not_json_is_sent_as_text(server, client, loop_thread):
    class Leg:
        def __str__(self) -> str:
            return "leg-7"

    with client.events() as stream:
        loop_thread.call(server.publish, "odd", leg=Leg(), ports={"fxo1"})
        event = stream.next(timeout=5)
    assert event["data"]["leg"] == "leg-7" and event["data"]["ports"] == ["fxo1"]
    assert client.call("events", kinds=["odd"])["events"][0]["data"]["leg"] == "leg-7"


def test_closing_a_stream_stops_a_thread_iterating_it(server, client, loop_thread):
    import threading

    stream = client.events()
    seen: list[str] = []
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            for event in stream:
                seen.append(event["event"])
        except BaseException as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=follow)
    thread.start()
    loop_thread.call(server.publish, "line", line="line1", state="ringing")
    for _ in range(100):
        if seen:
            break
        thread.join(0.02)
    stream.close()
    thread.join(timeout=5)
    assert not thread.is_alive() and errors == [] and seen == ["line"]


def test_daemon_going_away_ends_the_stream_with_an_error(loop_thread, sockdir):
    srv = ControlServer(sockdir / "c.sock", clock=loop_thread.clock)
    loop_thread.run(srv.start())
    stream = ControlClient(srv.path).events()
    loop_thread.run(srv.stop())
    with pytest.raises(ControlError) as exc:
        for _ in stream:
            pass
    assert exc.value.code == "unavailable"
    stream.close()


def test_stop_with_clients_connected_is_quiet(loop_thread, sockdir):
    problems: list[dict] = []
    loop_thread.loop.set_exception_handler(lambda loop, context: problems.append(context))
    srv = ControlServer(sockdir / "c.sock", clock=loop_thread.clock)
    loop_thread.run(srv.start())
    idle, streaming = ControlClient(srv.path), ControlClient(srv.path)
    assert idle.call("ping")["pong"]
    stream = streaming.events()
    loop_thread.run(srv.stop())
    loop_thread.run(asyncio.sleep(0.05))
    assert problems == [] and srv.clients == 0
    idle.close()
    stream.close()


def test_a_client_that_never_reads_its_replies_is_disconnected(loop_thread, sockdir):
    srv = ControlServer(sockdir / "c.sock", clock=loop_thread.clock, queue_limit=5)
    srv.register("big", lambda: "x" * 200_000)          # replies fill the socket buffer at once
    loop_thread.run(srv.start())
    s = raw(srv)
    try:
        for i in range(40):
            try:
                s.sendall(b'{"id": %d, "cmd": "big"}\n' % i)
            except OSError:
                break                                      # the server hung up on us
            loop_thread.run(asyncio.sleep(0.01))
        loop_thread.run(asyncio.sleep(0.05))
        assert srv.clients == 0
    finally:
        s.close()
        loop_thread.run(srv.stop())


def test_a_broken_argument_schema_is_refused_at_registration(server):
    import jsonschema

    with pytest.raises(jsonschema.SchemaError):
        server.register("bad", lambda: None, schema={"type": "objekt"})
    assert "bad" not in server.registry


def test_every_error_code_is_documented():
    from pathlib import Path

    from firmware.control import ERROR_CODES

    text = (Path(__file__).parents[2] / "docs" / "control-api.md").read_text(encoding="utf-8")
    assert [code for code in ERROR_CODES if f"| `{code}` |" not in text] == []
