"""The ``switchboard`` command line: one entry point, one subcommand per job.

This module only parses arguments and hands each subcommand to the module that does the work
(``<module>.main(args) -> int``), imported lazily so ``switchboard --version`` stays instant.
Outside tools rely on this contract (docs/cli.md); keep it exact:

    switchboard run [--sim] [--config PATH] [--data DIR]
    switchboard web [--config PATH] [--data DIR] [--socket PATH] [--host H] [--port N]
    switchboard simulate SCENARIO [--config PATH]
    switchboard test-menu [--config PATH] [--json]
    switchboard check-config PATH
    switchboard decode dtmf|callerid|tones FILE.wav [--country CC]

Exit codes: 0 ok, 1 runtime failure, 2 usage or bad input.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from firmware import __version__

# subcommand -> module whose main(args) runs it
_HANDLERS = {
    "run": "firmware.daemon",
    "web": "webui.serve",
    "simulate": "firmware.scenario.cli",
    "test-menu": "firmware.attendant.tester",
    "check-config": "firmware.config.cli",
    "decode": "firmware.decode",
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line on stderr (its default is a usage block)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"switchboard: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="switchboard", description="Switchboard office phone box")
    p.add_argument("--version", action="version", version=f"switchboard {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the daemon")
    run.add_argument("--sim", action="store_true", help="simulated board with the embedded example office")
    run.add_argument("--config", metavar="PATH")
    run.add_argument("--data", metavar="DIR")
    run.add_argument("--no-web", action="store_true", help="with --sim: do not start the web UI")
    run.add_argument("--web-port", type=int, default=None, metavar="N")

    web = sub.add_parser("web", help="run the web UI")
    web.add_argument("--config", metavar="PATH")
    web.add_argument("--data", metavar="DIR")
    web.add_argument("--socket", metavar="PATH", help="the daemon's control socket")
    web.add_argument("--host", default=None)
    web.add_argument("--port", type=int, default=None)

    sim = sub.add_parser("simulate", help="run a scenario in virtual time; JSON lines on stdout")
    sim.add_argument("scenario", metavar="SCENARIO")
    sim.add_argument("--config", metavar="PATH")

    tm = sub.add_parser("test-menu", help="walk every attendant path in simulation")
    tm.add_argument("--config", metavar="PATH")
    tm.add_argument("--json", action="store_true", help="print the report as JSON")

    cc = sub.add_parser("check-config", help="validate a configuration document")
    cc.add_argument("path", metavar="PATH")

    dec = sub.add_parser("decode", help="decode signals in a WAV file")
    dec.add_argument("what", choices=["dtmf", "callerid", "tones"])
    dec.add_argument("file", metavar="FILE.wav")
    dec.add_argument("--country", default="US", metavar="CC")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = importlib.import_module(_HANDLERS[args.command])
    try:
        return int(module.main(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
