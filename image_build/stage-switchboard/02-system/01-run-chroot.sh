#!/bin/bash -e
# Inside the image: rebuild the initramfs so it carries the overlayroot hook, and lock root once more in
# case a later package set a password.
# SPDX-License-Identifier: GPL-3.0-or-later
update-initramfs -u -k all
passwd -l root
