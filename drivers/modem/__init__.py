"""USB voice modem as an FXO line: AT protocol over pyserial (see :mod:`drivers.modem.port`).

Importing this package opens nothing; a modem is opened by ``ModemPort.open()`` at the device path or URL the
board profile names.
"""
from drivers.modem.board import build_modem
from drivers.modem.channel import ModemAudioChannel
from drivers.modem.port import ModemPort
from drivers.modem.profiles import PROFILES, ModemProfile, get_profile

__all__ = ["build_modem", "ModemAudioChannel", "ModemPort", "ModemProfile", "PROFILES", "get_profile"]
