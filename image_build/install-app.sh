#!/bin/bash
# Install Switchboard into a virtualenv that sees the system's Python packages.
#
#   install-app.sh PREFIX WHEEL [pip options...]
#
# Creates (or reuses) the venv PREFIX with --system-site-packages, so the GPIO stack (python3-rpi-lgpio, which
# provides RPi.GPIO on Raspberry Pi OS), numpy, Flask and friends come from apt and only what Debian lacks comes
# from PyPI. Installs WHEEL with the extras in $SWITCHBOARD_EXTRAS (default "pi": the SIP stack), renders any
# system prompt the wheel lacks, refuses a venv that shadows RPi.GPIO, and prints `switchboard --version`.
# Used by the image stage (inside the arm64 chroot), the arm64 root check and the tests.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

if [ "$#" -lt 2 ]; then
	echo "usage: install-app.sh PREFIX WHEEL [pip options...]" >&2
	exit 2
fi
prefix=$1
wheel=$2
shift 2
extras=${SWITCHBOARD_EXTRAS-pi}
target=$wheel
if [ -n "${extras}" ]; then
	target="${wheel}[${extras}]"
fi

"${PYTHON:-python3}" -m venv --system-site-packages "${prefix}"
"${prefix}/bin/python" -m pip install --no-cache-dir --disable-pip-version-check "$@" "${target}"

site=$("${prefix}/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ -e "${site}/RPi" ]; then
	echo "install-app: RPi.GPIO was installed into the venv; it would shadow the lgpio shim. Remove it." >&2
	exit 1
fi

# System prompts ship rendered in the wheel; render only what is missing or out of date.
audio=$("${prefix}/bin/python" -c 'from firmware.prompts.library import AUDIO_DIR; print(AUDIO_DIR)')
"${prefix}/bin/python" -m firmware.prompts.render --engine espeak --out "${audio}"

"${prefix}/bin/switchboard" --version
