"""journald logging: structured fields over the native protocol, key=value lines elsewhere."""
from __future__ import annotations

import io
import logging
import socket
import struct

from firmware.journal import JournalHandler, KeyValueFormatter, configure_logging, encode_journal


def test_key_value_lines_carry_port_and_call():
    record = logging.LogRecord("firmware.engine", logging.WARNING, __file__, 1, "caller hung up %s", ("early",), None)
    record.port, record.call = "fxo1", "c7"
    line = KeyValueFormatter().format(record)
    assert line == 'level=warning logger=firmware.engine port=fxo1 call=c7 msg="caller hung up early"'


def test_journal_native_protocol_fields(tmp_path):
    path = str(tmp_path / "journal.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(1)
    handler = JournalHandler(path, identifier="switchboard")
    logger = logging.getLogger("test.journal")
    logger.addHandler(handler)
    try:
        logger.error("line seized\nby a parallel phone", extra={"port": "fxo2", "call": "c3"})
        data = server.recv(65536)
    finally:
        logger.removeHandler(handler)
        handler.close()
        server.close()
    assert b"PRIORITY=3\n" in data and b"PORT=fxo2\n" in data and b"CALL=c3\n" in data
    assert b"SYSLOG_IDENTIFIER=switchboard\n" in data
    message = b"line seized\nby a parallel phone"
    assert b"MESSAGE\n" + struct.pack("<Q", len(message)) + message + b"\n" in data


def test_journal_handler_falls_back_to_stderr_lines(tmp_path):
    stream = io.StringIO()
    handler = JournalHandler(str(tmp_path / "no-journal.sock"), fallback=stream)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    handler.emit(record)
    handler.close()
    assert stream.getvalue() == "level=info logger=x msg=hello\n"


def test_encode_journal_plain_fields():
    assert encode_journal({"MESSAGE": "hi", "PORT": "fxs1"}) == b"MESSAGE=hi\nPORT=fxs1\n"


def test_configure_logging_chooses_journal_only_under_journald(tmp_path):
    sock_path = tmp_path / "journal.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(sock_path))
    root = logging.getLogger()
    level = root.level
    try:
        h1 = configure_logging(environ={}, stream=io.StringIO(), socket_path=str(sock_path))
        assert isinstance(h1.formatter, KeyValueFormatter)
        h2 = configure_logging(environ={"JOURNAL_STREAM": "8:1234"}, socket_path=str(sock_path))
        assert isinstance(h2, JournalHandler)
        assert h1 not in root.handlers, "configuring again replaces, never doubles, the handler"
    finally:
        root.removeHandler(h2)
        h2.close()
        root.setLevel(level)
        server.close()


def test_default_stream_follows_a_replaced_stderr(monkeypatch):
    import sys
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(environ={})
    try:
        replaced = io.StringIO()
        monkeypatch.setattr(sys, "stderr", replaced)
        logging.getLogger("x").warning("on the new stderr", extra={"port": "fxs2"})
        assert replaced.getvalue() == 'level=warning logger=x port=fxs2 msg="on the new stderr"\n'
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_task_that_binds_its_leg_tags_everything_it_logs(vclock):
    import asyncio
    from firmware.journal import BoundFields, bind

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(BoundFields())
    logger = logging.getLogger("test.bound")
    logger.addHandler(handler)
    logger.propagate = False

    async def leg(port: str, call: str) -> None:
        bind(port=port, call=call, leg=None)
        await asyncio.sleep(1)
        logger.warning("caller hung up")

    async def scenario() -> None:
        await asyncio.gather(leg("fxo1", "c1"), leg("fxo2", "c2"))
        logger.warning("outside any call", extra={"port": "fxs1"})

    try:
        vclock.loop.run_until_complete(scenario())
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert sorted(stream.getvalue().splitlines()) == [
        'level=warning logger=test.bound port=fxo1 call=c1 msg="caller hung up"',
        'level=warning logger=test.bound port=fxo2 call=c2 msg="caller hung up"',
        'level=warning logger=test.bound port=fxs1 msg="outside any call"',
    ]
