"""The virtual clock: timers fire in order, time jumps instead of waiting, wall time follows."""
import asyncio
import time
from datetime import timedelta


def test_three_minutes_pass_instantly_and_in_order(vclock):
    fired = []
    vclock.call_later(120, fired.append, "b")
    vclock.call_later(60, fired.append, "a")

    async def wait():
        await asyncio.sleep(180)

    start_wall = vclock.wall()
    t = time.perf_counter()
    vclock.loop.run_until_complete(wait())
    assert time.perf_counter() - t < 1.0
    assert fired == ["a", "b"]
    assert vclock.now() == 180
    assert vclock.wall() - start_wall == timedelta(seconds=180)


def test_timeouts_follow_virtual_time(vclock):
    async def slow():
        await asyncio.wait_for(asyncio.sleep(100), 5)

    try:
        vclock.loop.run_until_complete(slow())
    except TimeoutError:
        pass
    else:  # pragma: no cover - the assertion below documents the failure
        raise AssertionError("wait_for did not time out")
    assert 5 <= vclock.now() < 5.1


def test_thread_hand_off_wakes_an_idle_loop(vclock):
    import threading

    async def main():
        fut = vclock.loop.create_future()
        threading.Thread(target=lambda: vclock.call_soon_threadsafe(fut.set_result, 42)).start()
        return await fut

    assert vclock.loop.run_until_complete(main()) == 42
