"""The menu tester's report for the menus page: ``switchboard test-menu --json`` on the page's configuration.

The tester (the attendant part's ``firmware.attendant.tester``) places a call down every attendant path in
virtual time; its JSON is ``{"ok", "states", "problems": [{severity, kind, state, path, detail}], "paths":
[{state, path, outcome}]}``. :class:`MenuTester` asks the daemon first (``menu.test``); when the daemon has no
such command it writes the configuration to a private temporary file and runs the tester as a subprocess with
a time limit — on a worker thread, so the page answers at once ("walking…") and shows the report when it is
ready. Reports are kept per configuration revision. This module only runs the tester and reads its JSON.

Threads: one worker at a time, owned by the :class:`MenuTester` (``stop`` joins it with a timeout).
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
PENDING = {"pending": True, "ok": False, "problems": [], "paths": [], "error": None}


class MenuTester:
    """Runs the tester for one configuration revision at a time and keeps the reports."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self._lock = threading.Lock()
        self._reports: dict[str, dict] = {}
        self._worker: threading.Thread | None = None

    def report(self, revision: Any, doc: dict, wait: float = 0.0) -> dict:
        """The report for ``revision``, or :data:`PENDING` while it is being made (waits up to ``wait`` s)."""
        key = str(revision)
        with self._lock:
            if key in self._reports:
                return self._reports[key]
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, args=(key, doc), name="webui-menu-tester",
                                                daemon=True)
                self._worker.start()
            worker = self._worker
        if wait > 0:
            worker.join(wait)
        with self._lock:
            return self._reports.get(key, PENDING)

    def stop(self, timeout: float = TIMEOUT + 5) -> None:
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _run(self, key: str, doc: dict) -> None:
        result = _from_daemon(self.daemon) or _from_subprocess(doc)
        with self._lock:
            if len(self._reports) > 20:
                self._reports.clear()
            self._reports[key] = result


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
    """Accept the tester's report as a dict (``problems``/``paths``) or a bare list of problems."""
    if isinstance(parsed, list):
        parsed = {"problems": parsed}
    problems = [p if isinstance(p, dict) else {"detail": str(p)} for p in parsed.get("problems", [])]
    paths = [p if isinstance(p, dict) else {"path": str(p)} for p in parsed.get("paths", [])]
    ok = parsed.get("ok", not any(p.get("severity", "error") == "error" for p in problems))
    return {"ok": bool(ok), "problems": problems, "paths": paths, "error": None, "pending": False}
