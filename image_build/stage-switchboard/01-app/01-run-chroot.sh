#!/bin/bash -e
# Inside the image (arm64 chroot): create the service users, the venv at /opt/switchboard with the system's
# Python packages (RPi.GPIO is the python3-rpi-lgpio shim from apt, never from PyPI), install the wheel, and
# make sure every system prompt is rendered.
# SPDX-License-Identifier: GPL-3.0-or-later
systemd-sysusers
/opt/switchboard/dist/install-app.sh /opt/switchboard /opt/switchboard/dist/switchboard-*.whl
