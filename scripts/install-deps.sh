#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages kvmsim needs, only those missing (idempotent).
#
# Unicorn must be 2.1.1 or newer (its TLB mode gives precise faults without
# instruction counting).  Debian 13 (trixie) ships it; Debian 12 (bookworm)
# ships 2.0.1, so there trixie is added as an apt source pinned at priority
# 100: nothing installs or upgrades from it unless asked for by name, and
# `apt-get install libunicorn-dev/trixie` then brings libunicorn2t64 (which
# depends only on libc6 >= 2.34) and changes nothing else.
set -eu
pkgs="cmake make gcc pkg-config libcapstone-dev libelf-dev check
libunwind-dev gcc-aarch64-linux-gnu linux-libc-dev-arm64-cross clang python3
qemu-system-x86 nodejs man-db chromium parallel"
trixie_list=/etc/apt/sources.list.d/kvmsim-trixie.sources
trixie_pin=/etc/apt/preferences.d/kvmsim-trixie

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# The libunicorn-dev version installed, empty when none is.
unicorn_version() {
	installed libunicorn-dev && dpkg-query -W -f='${Version}' libunicorn-dev
}

unicorn_new_enough() {
	v=$(unicorn_version) || return 1
	[ -n "$v" ] && dpkg --compare-versions "$v" ge 2.1.1
}

codename() {
	. /etc/os-release
	echo "${VERSION_CODENAME:-}"
}

# Debian 12 only: trixie as a source that nothing takes from by default.
add_pinned_trixie() {
	[ -f "$trixie_list" ] && [ -f "$trixie_pin" ] && return 0
	echo "adding Debian 13 (trixie) as an apt source pinned at priority 100 for Unicorn 2.1.1"
	$SUDO sh -c "cat > $trixie_list" <<-EOF
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: trixie
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	$SUDO sh -c "cat > $trixie_pin" <<-EOF
	Package: *
	Pin: release n=trixie
	Pin-Priority: 100
	EOF
}

missing=""
for p in $pkgs; do
	installed "$p" || missing="$missing $p"
done
unicorn=""
if ! unicorn_new_enough; then
	case $(codename) in
	bookworm)
		add_pinned_trixie
		unicorn="libunicorn-dev/trixie"
		;;
	*)
		unicorn="libunicorn-dev"
		;;
	esac
fi
[ -z "$missing$unicorn" ] && exit 0
echo "installing:$missing $unicorn"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing $unicorn
if ! unicorn_new_enough; then
	echo "install-deps: libunicorn-dev $(unicorn_version) is installed; kvmsim needs 2.1.1 or newer" >&2
	exit 1
fi
