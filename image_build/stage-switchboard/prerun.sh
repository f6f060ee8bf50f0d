#!/bin/bash -e
# pi-gen stage prerun: start from the previous stage's root file system (stage2, Raspberry Pi OS Lite).
# SPDX-License-Identifier: GPL-3.0-or-later
if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
