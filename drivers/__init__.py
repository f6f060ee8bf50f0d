"""Switchboard drivers: hardware and signals.

Turns pins, sound, serial bytes and SIP into timestamped port events and takes commands.
No policy lives here: a driver never decides to answer, route or hang up. Importing any module in this
package touches no hardware; backends import their libraries (RPi.GPIO, sounddevice, pyVoIP) when opened.
"""
