"""``switchboard check-config PATH``: validate a configuration document.

Prints ``ok: PATH (office name, N lines, N phones, N extensions)`` and exits 0 when the document is valid (with
``warning: path: reason`` lines on stderr for things that are valid but probably not meant); prints
one ``path: reason`` line per problem on stderr and exits 2 when it is not (a YAML syntax error names its line).
A document in an older schema version is checked as it would be after migration; the file is not changed.
"""
from __future__ import annotations

import argparse
import sys

from drivers.errors import ConfigError
from firmware.config import CURRENT_VERSION, Config, load_document, warnings


def main(args: argparse.Namespace) -> int:
    try:
        doc, version = load_document(args.path)
    except ConfigError as exc:
        problems = exc.errors or [("document", str(exc))]
        print(f"{args.path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}", file=sys.stderr)
        for path, reason in problems:
            print(f"{path}: {reason}", file=sys.stderr)
        return 2
    for path, reason in warnings(doc):
        print(f"warning: {path}: {reason}", file=sys.stderr)
    cfg = Config(doc)
    note = f"; schema version {version} will be migrated to {CURRENT_VERSION} on load" if version < CURRENT_VERSION else ""
    print(f"ok: {args.path} ({cfg.office_name}: {len(cfg.lines)} lines, {len(cfg.phones)} phones, "
          f"{len(cfg.extensions)} extensions{note})")
    return 0
