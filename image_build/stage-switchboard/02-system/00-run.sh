#!/bin/bash -e
# Host side: make the image an appliance. Host name "switchboard" announced over mDNS (switchboard.local),
# SSH off, no password on any account, read-only root (overlayroot, tmpfs, recurse=0) with a writable data
# partition (label SBDATA) on /var/lib/switchboard, volatile journal, hardware watchdog.
# SPDX-License-Identifier: GPL-3.0-or-later
: "${ROOTFS_DIR:?ROOTFS_DIR must name the image root}"
cd "$(dirname "$0")"
etc="${ROOTFS_DIR}/etc"

# Host name and mDNS.
echo switchboard > "${etc}/hostname"
touch "${etc}/hosts"
sed -i '/^127\.0\.1\.1[[:space:]]/d' "${etc}/hosts"
printf '127.0.1.1\tswitchboard\n' >> "${etc}/hosts"
install -d -m 755 "${etc}/avahi/services"
install -m 644 files/avahi-switchboard.service "${etc}/avahi/services/switchboard.service"

# SSH off by default (stage2 enables it when ENABLE_SSH=1; an appliance does not).
rm -f "${etc}/systemd/system/multi-user.target.wants/ssh.service" \
	"${etc}/systemd/system/multi-user.target.wants/sshd.service" \
	"${etc}/systemd/system/sockets.target.wants/ssh.socket" \
	"${etc}/systemd/system/sshd.service"

# No default password: lock every account that has one (pi-gen sets root's), or has an empty one.
if [ -f "${etc}/shadow" ]; then
	awk -F: 'BEGIN { OFS = ":" } $2 !~ /^[!*]/ { $2 = "!*" } { print }' "${etc}/shadow" > "${etc}/shadow.new"
	chmod 640 "${etc}/shadow.new"
	mv "${etc}/shadow.new" "${etc}/shadow"
fi

# Read-only root: overlayroot keeps / in RAM; recurse=0 leaves the data partition writable.
install -m 644 files/overlayroot.conf "${etc}/overlayroot.conf"

# The data partition, created on first boot in the space after the root partition; upgrades that keep it.
install -d -m 755 "${ROOTFS_DIR}/usr/local/sbin"
install -m 755 files/switchboard-data-partition "${ROOTFS_DIR}/usr/local/sbin/switchboard-data-partition"
install -m 755 files/switchboard-upgrade "${ROOTFS_DIR}/usr/local/sbin/switchboard-upgrade"
install -m 644 files/switchboard-data.service "${etc}/systemd/system/switchboard-data.service"
install -d -m 755 "${etc}/systemd/system/local-fs-pre.target.wants"
ln -sfn /etc/systemd/system/switchboard-data.service \
	"${etc}/systemd/system/local-fs-pre.target.wants/switchboard-data.service"
install -d -m 770 "${ROOTFS_DIR}/var/lib/switchboard"
touch "${etc}/fstab"
sed -i '/[[:space:]]\/var\/lib\/switchboard[[:space:]]/d' "${etc}/fstab"
cat files/fstab-data >> "${etc}/fstab"

# The root partition must not grow over the data partition's space on first boot.
for cmdline in "${ROOTFS_DIR}/boot/firmware/cmdline.txt" "${ROOTFS_DIR}/boot/cmdline.txt"; do
	if [ -f "${cmdline}" ]; then
		sed -i -e 's# init=/usr/lib/raspberrypi-sys-mods/firstboot##' -e 's# resize\b##' "${cmdline}"
	fi
done

# Journal in RAM (capped); the hardware watchdog reboots a hung kernel, which drops the lifeline relay.
install -d -m 755 "${etc}/systemd/journald.conf.d" "${etc}/systemd/system.conf.d"
install -m 644 files/journald-switchboard.conf "${etc}/systemd/journald.conf.d/switchboard.conf"
install -m 644 files/system-watchdog.conf "${etc}/systemd/system.conf.d/switchboard-watchdog.conf"
