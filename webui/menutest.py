"""The menu tester's report for the menus page: ``switchboard test-menu --json`` on the page's configuration.

The tester walks every attendant path in simulation (the attendant part owns it). The web UI asks the daemon
first (``menu.test``); when the daemon has no such command it writes the configuration it was given to a
private temporary file and runs the tester as a subprocess with a time limit. Reports are kept per
configuration revision, so opening the page twice does not walk the menus twice.
This module only runs the tester and reads its JSON; it does not interpret attendant semantics.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

TIMEOUT = 60.0
_cache: dict[str, dict] = {}
_lock = threading.Lock()


def report(daemon: Any, revision: Any, doc: dict) -> dict:
    """``{"ok": bool, "problems": [...], "paths": [...], "error": str|None}`` for this configuration."""
    key = str(revision)
    with _lock:
        if key in _cache:
            return _cache[key]
    result = _from_daemon(daemon) or _from_subprocess(doc)
    with _lock:
        if len(_cache) > 20:
            _cache.clear()
        _cache[key] = result
    return result


def _from_daemon(daemon: Any) -> dict | None:
    try:
        res = daemon.call("menu.test")
    except Exception:  # no such command on this daemon: use the subprocess
        return None
    return normalise(res) if isinstance(res, (dict, list)) else None


def _from_subprocess(doc: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="switchboard-menutest-") as tmp:
        path = Path(tmp) / "office.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        try:
            res = subprocess.run([sys.executable, "-m", "firmware.cli", "test-menu", "--config", str(path),
                                  "--json"], capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return {"ok": False, "problems": [], "paths": [], "error": "The menu tester took too long."}
    try:
        parsed = json.loads(res.stdout) if res.stdout.strip() else None
    except ValueError:
        parsed = None
    if parsed is None:
        reason = (res.stderr.strip().splitlines() or ["no report"])[-1]
        return {"ok": False, "problems": [], "paths": [], "error": f"The menu tester did not run: {reason}"}
    return normalise(parsed)


def normalise(parsed: Any) -> dict:
    """Accept the tester's report as a dict (``problems``/``paths``) or a list of problems."""
    if isinstance(parsed, list):
        parsed = {"problems": parsed}
    problems = [p if isinstance(p, dict) else {"message": str(p)} for p in parsed.get("problems", [])]
    paths = [p if isinstance(p, dict) else {"path": str(p)} for p in parsed.get("paths", [])]
    ok = parsed.get("ok", not any(p.get("severity", "error") == "error" for p in problems))
    return {"ok": bool(ok), "problems": problems, "paths": paths, "error": None}
