#!/bin/bash
# Build a Debian arm64 root with debootstrap and run Switchboard inside it under qemu-user.
#
#   sudo image_build/arm64_root.sh [ROOT_DIR]        (make -C image_build arm64-root)
#
# Not part of CI (it downloads a Debian base system and runs everything emulated: 15-30 minutes). Needs root,
# debootstrap and qemu-user-static (which registers binfmt_misc for aarch64). It runs the very stage script
# that installs the app into the image (install-app.sh), then `switchboard --version` and
# `switchboard simulate` on the example scenario, the way the Pi would.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "${here}/.." && pwd)
root=${1:-${repo}/build/arm64-root}
suite=${DEBIAN_SUITE:-bookworm}
scenario=${SWITCHBOARD_SCENARIO:-examples/extension-to-extension.yaml}

for tool in debootstrap qemu-aarch64-static; do
	command -v "${tool}" >/dev/null || { echo "arm64_root.sh: ${tool} is missing (apt-get install debootstrap qemu-user-static)" >&2; exit 1; }
done
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "arm64_root.sh: qemu-aarch64 is not registered in binfmt_misc" >&2; exit 1; }

if [ ! -x "${root}/usr/bin/python3" ]; then
	debootstrap --arch=arm64 --variant=minbase \
		--include=python3,python3-venv,python3-numpy,python3-scipy,python3-yaml,python3-flask,python3-waitress,python3-serial,python3-cryptography,libsndfile1,libportaudio2,espeak-ng \
		"${suite}" "${root}"
fi

dist="${root}/opt/switchboard-dist"
rm -rf "${dist}"
mkdir -p "${dist}"
python3 -m pip wheel --no-deps --wheel-dir "${dist}" "${repo}"
install -m 755 "${here}/install-app.sh" "${dist}/install-app.sh"
cp "${repo}/${scenario}" "${dist}/scenario.yaml"
wheel=$(cd "${dist}" && ls switchboard-*.whl)

cleanup() { umount "${root}/proc" 2>/dev/null || true; }
trap cleanup EXIT
mount -t proc proc "${root}/proc"
cp /etc/resolv.conf "${root}/etc/resolv.conf"

chroot "${root}" /bin/sh -c "SWITCHBOARD_EXTRAS= /opt/switchboard-dist/install-app.sh /opt/switchboard /opt/switchboard-dist/${wheel}"
chroot "${root}" /opt/switchboard/bin/switchboard --version
chroot "${root}" /opt/switchboard/bin/switchboard simulate /opt/switchboard-dist/scenario.yaml > "${root}/transcript.jsonl"
echo "arm64 root OK: $(wc -l < "${root}/transcript.jsonl") transcript lines in ${root}/transcript.jsonl"
