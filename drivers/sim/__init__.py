"""The simulated office (see :mod:`drivers.sim.office`): real drivers over simulated pins and audio."""
from drivers.sim.office import SimOffice, SimPanel
from drivers.sim.exchange import Exchange
from drivers.sim.line import SimLine
from drivers.sim.party import OutsideCaller, RemoteParty
from drivers.sim.phone import SimDeskPhone

__all__ = ["Exchange", "OutsideCaller", "RemoteParty", "SimDeskPhone", "SimLine", "SimOffice", "SimPanel"]
