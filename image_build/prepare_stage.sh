#!/bin/bash
# Assemble the pi-gen stage with everything it installs.
#
#   prepare_stage.sh OUT_DIR WHEEL [FACTORY_CONFIG]
#
# Copies image_build/stage-switchboard to OUT_DIR/stage-switchboard and fills 01-app/files/ with the wheel, the
# unit files and snippets from systemd/, install-app.sh, docs/appliance.md and the factory office document
# (default: firmware/config/reference_office.yaml when the board profile ships one, else the example office
# switched to the reference board and the rpigpio backend).
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

if [ "$#" -lt 2 ]; then
	echo "usage: prepare_stage.sh OUT_DIR WHEEL [FACTORY_CONFIG]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "${here}/.." && pwd)
out=$1
wheel=$2
config=${3:-}

stage="${out}/stage-switchboard"
rm -rf "${stage}"
mkdir -p "${out}"
cp -a "${here}/stage-switchboard" "${stage}"
files="${stage}/01-app/files"
mkdir -p "${files}"
install -m 644 "${wheel}" "${files}/"
install -m 644 "${repo}/systemd/switchboard.service" "${repo}/systemd/switchboard-web.service" "${files}/"
install -m 644 "${repo}/systemd/sysusers.d/switchboard.conf" "${files}/sysusers.conf"
install -m 644 "${repo}/systemd/tmpfiles.d/switchboard.conf" "${files}/tmpfiles.conf"
install -m 755 "${here}/install-app.sh" "${files}/install-app.sh"
install -m 644 "${repo}/docs/appliance.md" "${files}/appliance.md"

if [ -z "${config}" ] && [ -f "${repo}/firmware/config/reference_office.yaml" ]; then
	config="${repo}/firmware/config/reference_office.yaml"
fi
if [ -n "${config}" ]; then
	install -m 644 "${config}" "${files}/office.yaml"
else
	sed -e 's/^\(  profile:[[:space:]]*\)sim\b/\1reference/' \
		-e 's/^\(  gpio_backend:[[:space:]]*\)sim\b/\1rpigpio/' \
		"${repo}/firmware/config/example_office.yaml" > "${files}/office.yaml"
	chmod 644 "${files}/office.yaml"
fi
echo "stage ready: ${stage}"
