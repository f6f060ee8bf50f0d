"""Voice-modem profiles: the AT dialect of each supported modem family.

What it is: :class:`ModemProfile` — init strings, the voice sample format (``AT+VSM``), silence-detection and
line-select commands, whether the modem does full-duplex voice (``AT+VTR``) or only half (``AT+VRX`` /
``AT+VTX``), and how DLE bytes in voice data are shielded. :data:`PROFILES` holds the supported families;
the board profile names one (``modem.profile``) and may add init commands (``modem.extra_init``).

What it is not: detection. Switchboard never probes ports or guesses the modem from ``ATI``; the board profile
says which device and which dialect.

Sample formats: ``u8`` — 8-bit unsigned linear, 0x80 = silence (USR ``AT+VSM=128,8000``, Conexant
``AT+VSM=1,8000,0,0``); ``s16le`` — 16-bit signed little-endian linear.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from drivers.errors import ConfigError


@dataclass(frozen=True)
class ModemProfile:
    name: str
    description: str
    baudrate: int = 115200
    init: tuple[str, ...] = ("ATZ", "ATE0V1", "AT+VCID=1")
    voice_mode: str = "AT+FCLASS=8"
    sample_format: str = "u8"
    vsm: str = "AT+VSM=128,8000"
    vsd: str = "AT+VSD=128,0"
    off_hook: str = "AT+VLS=1"
    on_hook: str = "ATH0"
    duplex: str = "half"  # "full": AT+VTR; "half": AT+VRX / AT+VTX
    dle_double: bool = True  # a 0x10 byte in transmitted audio is sent as DLE DLE
    command_timeout: float = 2.0
    reset_timeout: float = 5.0
    extra: tuple[str, ...] = field(default_factory=tuple)

    @property
    def init_commands(self) -> tuple[str, ...]:
        return self.init + self.extra


PROFILES: dict[str, ModemProfile] = {
    "usr5637": ModemProfile(
        name="usr5637",
        description="USRobotics 5637 USB Faxmodem (half-duplex voice, 8-bit linear)",
        baudrate=115200,
        init=("ATZ", "ATE0V1", "AT+VCID=1"),
        vsm="AT+VSM=128,8000",
        vsd="AT+VSD=128,0",
        duplex="half",
    ),
    "cx93010": ModemProfile(
        name="cx93010",
        description="Conexant CX93010-class USB modem (e.g. Zoom 3095; full-duplex voice, 8-bit unsigned)",
        baudrate=115200,
        init=("ATZ", "ATE0V1", "AT+VCID=1"),
        vsm="AT+VSM=1,8000,0,0",
        vsd="AT+VSD=0,0",
        duplex="full",
    ),
}


def get_profile(name: str, extra_init: tuple[str, ...] | list[str] = (), path: str = "board.modem") -> ModemProfile:
    """The profile called ``name`` with ``extra_init`` commands appended; ConfigError for an unknown name."""
    try:
        profile = PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ConfigError(f"unknown modem profile {name!r}; known: {known}",
                          [(f"{path}.profile", f"must be one of {known}")]) from None
    bad = [c for c in extra_init if not c.upper().startswith("AT") or "\r" in c or "\n" in c]
    if bad:
        raise ConfigError(f"modem init commands must start with AT and be one line: {bad!r}",
                          [(f"{path}.extra_init", "each entry is one AT command")])
    return replace(profile, extra=tuple(extra_init)) if extra_init else profile
