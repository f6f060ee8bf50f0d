#!/bin/bash -e
# Host side: put the Switchboard wheel, unit files, sysusers/tmpfiles snippets and the factory configuration
# into the image. files/ is filled by image_build/prepare_stage.sh (the wheel, the units from systemd/, the
# factory office document); this script only copies, so it can be dry-run into any ROOTFS_DIR.
# SPDX-License-Identifier: GPL-3.0-or-later
: "${ROOTFS_DIR:?ROOTFS_DIR must name the image root}"
cd "$(dirname "$0")"

shopt -s nullglob
wheels=(files/switchboard-*.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
	echo "01-app: expected exactly one switchboard wheel in files/ (run prepare_stage.sh)" >&2
	exit 1
fi

install -d -m 755 "${ROOTFS_DIR}/opt/switchboard/dist" "${ROOTFS_DIR}/opt/switchboard/share/doc"
install -m 644 "${wheels[0]}" "${ROOTFS_DIR}/opt/switchboard/dist/"
install -m 755 files/install-app.sh "${ROOTFS_DIR}/opt/switchboard/dist/install-app.sh"
install -m 644 files/appliance.md "${ROOTFS_DIR}/opt/switchboard/share/doc/appliance.md"

install -d -m 755 "${ROOTFS_DIR}/etc/systemd/system" "${ROOTFS_DIR}/usr/lib/sysusers.d" \
	"${ROOTFS_DIR}/usr/lib/tmpfiles.d"
install -m 644 files/switchboard.service files/switchboard-web.service "${ROOTFS_DIR}/etc/systemd/system/"
install -m 644 files/sysusers.conf "${ROOTFS_DIR}/usr/lib/sysusers.d/switchboard.conf"
install -m 644 files/tmpfiles.conf "${ROOTFS_DIR}/usr/lib/tmpfiles.d/switchboard.conf"

# Factory configuration: read-only in the image; copied to the data partition on first start (tmpfiles C).
install -d -m 755 "${ROOTFS_DIR}/etc/switchboard"
install -m 644 files/office.yaml "${ROOTFS_DIR}/etc/switchboard/office.yaml"

# Enable both services (what `systemctl enable` does, without needing a chroot).
wants="${ROOTFS_DIR}/etc/systemd/system/multi-user.target.wants"
install -d -m 755 "${wants}"
ln -sfn /etc/systemd/system/switchboard.service "${wants}/switchboard.service"
ln -sfn /etc/systemd/system/switchboard-web.service "${wants}/switchboard-web.service"
