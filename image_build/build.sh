#!/bin/bash
# Build the Switchboard Raspberry Pi OS image with pi-gen.
#
#   PIGEN_DIR=/path/to/pi-gen image_build/build.sh [OUT_DIR]
#
# Needs: a pi-gen checkout (its arm64 branch for a 64-bit image) and what pi-gen needs — root, or its
# build-docker.sh — on an arm64 host, or an x86 host with qemu-user-static and binfmt_misc registered.
# Builds the wheel, assembles the stage (prepare_stage.sh), writes a pi-gen config (host name switchboard,
# SSH off, stages 0-2 plus ours, only our image exported) and runs pi-gen. The stage locks every password;
# pi-gen's first-boot wizard (local console only) creates the maintenance user. The image lands in pi-gen's deploy/.
# Set PIGEN_DOCKER=1 to use pi-gen's build-docker.sh.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "${here}/.." && pwd)
out=$(mkdir -p "${1:-${repo}/build/image}" && cd "${1:-${repo}/build/image}" && pwd)
: "${PIGEN_DIR:?set PIGEN_DIR to a pi-gen checkout (arm64 branch for 64-bit)}"

if [ "$(uname -m)" != aarch64 ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
	echo "build.sh: this host is $(uname -m) without qemu-aarch64 binfmt; install qemu-user-static and binfmt-support" >&2
	exit 1
fi

rm -rf "${out}/dist"
python3 -m pip wheel --no-deps --wheel-dir "${out}/dist" "${repo}"
wheel=$(find "${out}/dist" -name 'switchboard-*.whl' | head -n 1)
"${here}/prepare_stage.sh" "${out}" "${wheel}"

# Only our stage exports an image.
touch "${PIGEN_DIR}/stage2/SKIP_IMAGES"
cat > "${PIGEN_DIR}/config" <<CONFIG
IMG_NAME=switchboard
TARGET_HOSTNAME=switchboard
ENABLE_SSH=0
LOCALE_DEFAULT=en_US.UTF-8
DEPLOY_COMPRESSION=xz
STAGE_LIST="stage0 stage1 stage2 ${out}/stage-switchboard"
CONFIG

cd "${PIGEN_DIR}"
if [ "${PIGEN_DOCKER:-0}" = 1 ]; then
	./build-docker.sh
else
	./build.sh
fi
