#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages kvmsim needs, only those missing (idempotent).
set -eu
pkgs="cmake make gcc pkg-config libunicorn-dev libcapstone-dev libelf-dev check
libunwind-dev gcc-aarch64-linux-gnu linux-libc-dev-arm64-cross"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
