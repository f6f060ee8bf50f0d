"""Switchboard firmware: the daemon's policy — call engine, line hunting, attendant, voicemail, features,
schedule, presence, configuration, data store, control API and command line. Drivers live in ``drivers``."""

__version__ = "0.1.0"
