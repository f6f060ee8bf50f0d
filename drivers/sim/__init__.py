"""The simulated office (see :mod:`drivers.sim.office`): real drivers over simulated pins and audio.

Also the bench rigs' twins: :class:`~drivers.sim.cable.LoopbackCable` (an FXS port corded to an FXO port) and
:class:`~drivers.sim.mt8870.SimMt8870` (the DTMF decoder chip).
"""
from drivers.sim.cable import AudioWire, LoopbackCable
from drivers.sim.exchange import Exchange, RemoteSettings
from drivers.sim.line import SimLine
from drivers.sim.mt8870 import SimMt8870
from drivers.sim.office import SimOffice, SimPanel
from drivers.sim.party import OutsideCaller, RemoteParty, SimStateError
from drivers.sim.phone import SimDeskPhone

__all__ = ["AudioWire", "Exchange", "LoopbackCable", "OutsideCaller", "RemoteParty", "RemoteSettings",
           "SimDeskPhone", "SimLine", "SimMt8870", "SimOffice", "SimPanel", "SimStateError"]
