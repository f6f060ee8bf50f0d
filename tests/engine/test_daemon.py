"""``switchboard run --sim`` as a process: control API up, a simulated call answered, clean stop on SIGTERM."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from firmware.control.client import ControlClient
from firmware.daemon import describe
from firmware.engine.bus import BusEvent


def _wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_run_sim_answers_a_call_and_stops_cleanly(tmp_path: Path):
    proc = subprocess.Popen([sys.executable, "-m", "firmware.cli", "run", "--sim", "--no-web", "--data",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sock = tmp_path / "control.sock"
        _wait_for(sock.exists, 15)
        client = ControlClient(sock, timeout=5)
        snap = _wait_for(lambda: client.call("snapshot"), 5)
        assert [line["state"] for line in snap["lines"]] == ["idle", "idle"]
        assert len(snap["sim"]["phones"]) == 4
        caller = client.call("sim.call_in", number="5551234", name="BOB")["call"]
        _wait_for(lambda: client.call("snapshot")["lines"][0]["state"] == "answered", 20)  # CID after ring 1
        snap = client.call("snapshot")
        assert snap["calls"][0]["state"] == "attendant" and snap["calls"][0]["caller_number"] == "5551234"
        assert snap["lines"][0]["call"] == snap["calls"][0]["id"]
        assert client.call("sim.listen", call=caller, seconds=0.2)["rate"] == 8000
        assert client.call("schedule.set_mode", mode="auto")["mode"] in ("day", "night", "lunch", "holiday")
        client.call("sim.hang_up", call=caller)
        _wait_for(lambda: client.call("snapshot")["lines"][0]["state"] == "idle", 15)
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "line1 answered 5551234 BOB" in out
    assert "audio frame deadline misses" in out


def test_bad_config_exits_2_naming_the_field(tmp_path: Path):
    bad = tmp_path / "office.yaml"
    bad.write_text("schema_version: 1\noffice: {name: X, country: US}\nlines: nope\n")
    proc = subprocess.run([sys.executable, "-m", "firmware.cli", "run", "--config", str(bad), "--data",
                           str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "lines" in proc.stderr


def test_live_log_lines():
    ev = BusEvent("answer", 1.0, {"line": "line1", "caller_id": {"number": "5551234", "name": "BOB"},
                                  "destination": "menu:main"})
    assert describe(ev) == "line1 answered 5551234 BOB → menu:main"
    assert describe(BusEvent("tone", 1.0, {"tone": "dial"})) is None


def test_real_ports_are_built_from_the_board_profile(vclock):
    from firmware.config import load
    from firmware.daemon import real_ports
    ports, panel = real_ports(vclock, load(None))     # the example office's board uses the sim GPIO backend
    assert sorted(ports) == ["fxo1", "fxo2", "fxs1", "fxs2", "fxs3", "fxs4"]
    assert {p.kind for p in ports.values()} == {"fxo", "fxs"}
    assert str(ports["fxs1"].tz) == "America/New_York"   # caller-ID dates sent to phones are office time
    assert "line1" in panel.leds
    panel.close()


def test_a_sound_device_given_by_index_is_refused_with_its_path(vclock):
    from drivers.errors import ConfigError
    from firmware.config import load
    from firmware.daemon import real_ports
    config = load(None)
    config["board"].setdefault("ports", {})["fxs1"] = {"audio_device": 3}
    with pytest.raises(ConfigError, match="board.ports.fxs1"):
        real_ports(vclock, config)


def test_config_get_reports_why_the_office_document_was_refused_at_boot(tmp_path: Path, monkeypatch):
    """``switchboard run`` on a refused document starts on the last good one; ``config.get`` says why."""
    from types import SimpleNamespace

    from firmware import daemon as daemon_module
    from firmware import service
    from firmware.config import load

    problems = [("lines[0].port", "a line port such as fxo1 or modem1")]
    built = []

    def boot_config(args, data_dir, loader):
        return load(None), None, problems

    async def run(self):
        built.append(self)
        return 0
    monkeypatch.setattr(service, "boot_config", boot_config)
    monkeypatch.setattr(service, "attach", lambda d, p=None, **kw: None)
    monkeypatch.setattr(daemon_module.Daemon, "run", run)
    args = SimpleNamespace(config=None, sim=True, data=str(tmp_path), no_web=True, web_port=None)
    assert daemon_module.main(args) == 0
    [d] = built
    d.box = SimpleNamespace(engine=SimpleNamespace(reconfigure=lambda c: []))
    d.server = SimpleNamespace(publish=lambda *a, **k: None)
    got = d._config_service().get()
    assert got["load_errors"] == [{"path": "lines[0].port", "reason": "a line port such as fxo1 or modem1"}]


def test_the_panel_debounce_setting_reaches_the_panel_driver(vclock):
    import copy

    from firmware.config import Config, load
    from firmware.daemon import real_ports
    doc = copy.deepcopy(load(None).document)
    doc["board"].setdefault("panel", {}).update({"debounce_ms": 75, "long_press": 4})
    ports, panel = real_ports(vclock, Config(doc))
    try:
        assert panel.timing.debounce_ms == 75 and panel.timing.long_press == 4
    finally:
        panel.close()
        for port in ports.values():
            port.close()
