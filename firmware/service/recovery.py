"""Start-up recovery after a crash or a power cut: relay outputs to rest, voicemail a crash cut short kept.

What it is: :func:`recover_ports`, :func:`recover_recordings`. What it is not: the call log's own recovery
(``Store.end_interrupted_calls``, called when the store opens).
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from drivers.errors import PortError, SwitchboardError
from firmware.prompts.wavio import WAV_HEADER_BYTES, wav_header

log = logging.getLogger("firmware.service")


def recover_ports(ports: Mapping[str, Any]) -> list[str]:
    """Drive every relay output to rest: release lines (FXO, modem), stop ringing phones (FXS).

    After a crash the GPIO lines are back to inputs, but the driver's idea of the line and any ring in
    progress are gone; this makes the hardware and the drivers agree before the first call. Returns the
    names of the ports that refused (each is logged with its reason).
    """
    refused = []
    for name, port in ports.items():
        command = "stop_ring" if getattr(port, "kind", "") == "fxs" else "release"
        if not hasattr(port, command) or getattr(port, "kind", "") in ("panel", "sip"):
            continue
        try:
            getattr(port, command)()
        except (PortError, OSError) as exc:
            refused.append(name)
            log.warning("could not bring %s to rest at start-up: %s", name, exc, extra={"port": name})
    return refused


_RATE = 8000


def recover_recordings(data_dir: Path, store: Any, min_seconds: float = 1.0) -> list[Path]:
    """Keep the messages a crash cut short: every ``voicemail/<mailbox>/.rec-*.part`` becomes a message.

    A recording streams to its part file frame by frame (:mod:`firmware.voicemail.recorder`); after a kill or a
    power cut the file holds everything the caller said up to then, under a header that says 0 samples. Here
    the header is fixed from the file's size, the file renamed to a message name (stamped with its last
    write), indexed in the store and marked partial. Parts shorter than ``min_seconds`` are removed. Returns
    the messages kept.
    """
    kept = []
    for part in sorted(Path(data_dir, "voicemail").glob("*/.rec-*.part")):
        mailbox = part.parent.name
        try:
            kept_path = _adopt_part(part, mailbox, store, min_seconds)
        except (OSError, SwitchboardError) as exc:
            log.error("could not recover the interrupted recording %s: %s", part, exc, extra={"mailbox": mailbox})
            continue
        if kept_path is not None:
            kept.append(kept_path)
    return kept


def _adopt_part(part: Path, mailbox: str, store: Any, min_seconds: float) -> Path | None:
    samples = max(0, part.stat().st_size - WAV_HEADER_BYTES) // 2
    seconds = samples / _RATE
    if seconds < min_seconds:
        part.unlink()
        log.info("removed an interrupted recording of %.1f s (too short)", seconds, extra={"mailbox": mailbox})
        return None
    stamp = datetime.fromtimestamp(part.stat().st_mtime, timezone.utc)
    with open(part, "r+b") as fh:
        fh.truncate(WAV_HEADER_BYTES + samples * 2)
        fh.seek(0)
        fh.write(wav_header(samples))
        fh.flush()
        os.fsync(fh.fileno())
    final = part.with_name(f"msg-{stamp.strftime('%Y%m%d-%H%M%S')}-{part.stem[-8:]}.wav")
    os.replace(part, final)
    msg_id = store.add_message(mailbox, final, duration_s=seconds, received_at=stamp)
    store.put(f"voicemail.partial.{msg_id}", True)
    log.warning("kept a message of %.1f s interrupted by a restart", seconds, extra={"mailbox": mailbox})
    return final
