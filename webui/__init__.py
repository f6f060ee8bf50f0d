"""Switchboard web UI: a Flask app that talks to the daemon only through the control API."""
