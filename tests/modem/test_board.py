"""The modem port as the board profile describes it."""
from __future__ import annotations

import pytest

from drivers.errors import ConfigError
from drivers.modem import build_modem


def test_a_modem_port_from_the_board_profile(vclock):
    board = {"ports": {"modem1": {"kind": "modem", "device": "/dev/serial/by-id/usb-Conexant-if00",
                                  "profile": "cx93010", "extra_init": "AT!4886=00 AT!4892=FF",
                                  "ping_interval": 20, "reopen_max": 120}}}
    port = build_modem("modem1", vclock, board)
    assert port.device == "/dev/serial/by-id/usb-Conexant-if00" and port.profile.duplex == "full"
    assert port.profile.init_commands[-2:] == ("AT!4886=00", "AT!4892=FF")
    assert port.ping_interval == 20 and port.backoff == (1.0, 120.0)


@pytest.mark.parametrize("spec, field", [
    ({}, "board.ports.modem1.device"),
    ({"device": "/dev/ttyACM0", "profile": "hayes"}, "board.ports.modem1.profile"),
    ({"device": "/dev/ttyACM0", "ping_interval": 0}, "board.ports.modem1.ping_interval"),
    ({"device": "/dev/ttyACM0", "speed": 9600}, "board.ports.modem1.speed"),
    ({"device": "/dev/ttyACM0", "extra_init": "AT!4886=00 +VCID=1"}, "board.ports.modem1.extra_init"),
])
def test_a_bad_modem_entry_names_the_field(vclock, spec, field):
    with pytest.raises(ConfigError) as err:
        build_modem("modem1", vclock, {"ports": {"modem1": spec}})
    assert err.value.errors[0][0] == field
