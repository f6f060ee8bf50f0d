#!/bin/bash
# Build a Debian arm64 root with debootstrap and run Switchboard inside it under qemu-user.
#
#   sudo image_build/arm64_root.sh [ROOT_DIR]        (make -C image_build arm64-root)
#   sudo DEB_ARCH=amd64 image_build/arm64_root.sh    the same on this machine's own architecture, no qemu
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

arch=${DEB_ARCH:-arm64}
command -v debootstrap >/dev/null || { echo "arm64_root.sh: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
if [ "${arch}" != "$(dpkg --print-architecture)" ]; then
	command -v qemu-aarch64-static >/dev/null || { echo "arm64_root.sh: qemu-user-static is missing" >&2; exit 1; }
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "arm64_root.sh: qemu-aarch64 is not registered in binfmt_misc" >&2; exit 1; }
fi

# debootstrap's --include does not resolve virtual packages (python3-cryptography needs one), so only the base
# comes from debootstrap; apt inside the root installs the rest.
packages="python3 python3-venv python3-numpy python3-scipy python3-yaml python3-flask python3-waitress \
python3-serial python3-cryptography python3-systemd libsndfile1 libportaudio2 espeak-ng systemd ca-certificates"
if [ ! -x "${root}/usr/bin/python3" ]; then
	debootstrap --arch="${arch}" --variant=minbase "${suite}" "${root}"
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
# shellcheck disable=SC2086 # the package list is meant to split
chroot "${root}" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages}"

chroot "${root}" /bin/sh -c "SWITCHBOARD_EXTRAS= /opt/switchboard-dist/install-app.sh /opt/switchboard /opt/switchboard-dist/${wheel}"
chroot "${root}" /opt/switchboard/bin/switchboard --version
chroot "${root}" /opt/switchboard/bin/switchboard simulate /opt/switchboard-dist/scenario.yaml > "${root}/transcript.jsonl"
echo "arm64 root OK: $(wc -l < "${root}/transcript.jsonl") transcript lines in ${root}/transcript.jsonl"
