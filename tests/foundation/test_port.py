"""The Port base: listeners, thread-safe emit, unsupported commands refused."""
import threading

import pytest

from drivers.errors import PortError
from drivers.port import Port


def test_listener_gets_timestamped_event_and_can_unsubscribe(vclock):
    port = Port("fxo1", vclock)
    seen = []
    unsubscribe = port.subscribe(seen.append)
    port.emit("ring", cadence="us", count=1)
    unsubscribe()
    port.emit("ring_end", count=1)
    assert [(e.kind, e.port, e.data["cadence"]) for e in seen] == [("ring", "fxo1", "us")]


def test_failing_listener_is_isolated(vclock):
    port = Port("fxs1", vclock)
    seen = []
    port.subscribe(lambda e: 1 / 0)
    port.subscribe(seen.append)
    port.emit("off_hook")
    assert len(seen) == 1


def test_emit_from_a_driver_thread_is_handed_to_the_loop(vclock):
    vclock.bind_thread()
    port = Port("fxs1", vclock)
    seen = []
    port.subscribe(lambda e: seen.append(threading.get_ident()))
    t = threading.Thread(target=port.emit, args=("on_hook",))
    t.start()
    t.join(5)
    assert seen == []  # not yet: it waits for the loop
    vclock.loop.run_until_complete(__import__("asyncio").sleep(0.01))
    assert seen == [threading.get_ident()]


def test_unknown_event_and_unsupported_command_are_refused(vclock):
    port = Port("fxs1", vclock)
    with pytest.raises(ValueError):
        port.emit("teleport")
    with pytest.raises(PortError, match="cannot seize"):
        port.seize()
    port.emit("fault", reason="sound card unplugged")
    assert port.snapshot()["fault"] == "sound card unplugged"
