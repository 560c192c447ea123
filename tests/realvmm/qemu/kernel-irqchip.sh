#!/bin/sh
# SPDX-License-Identifier: MIT
#
# QEMU with its irqchip in the kernel (-M microvm,pic=on,pit=on,
# kernel-irqchip=on; a CPU with an APIC) on our -bios guest: QEMU creates
# the in-kernel PIC, IOAPIC and LAPIC, the PIT, and resets the APIC's
# vapic with KVM_SET_VAPIC_ADDR, which it cannot do without.
#
#   kernel-irqchip.sh native KVMSIM BIOS   natively: the guest's line, exit status 3
#   kernel-irqchip.sh kvmsim KVMSIM BIOS   under kvmsim: the same, and the trace has
#                                          the irqchip, the PIT and the vapic reset
# No qemu-system-x86_64 (or, natively, no /dev/kvm): skipped (77).
set -u
mode=$1 kvmsim=$2 bios=$3
qemu=$(command -v qemu-system-x86_64) || { echo "skip: no qemu-system-x86_64"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
expected="hello from a -bios guest on port 0xe9"

fail() {
	echo "FAIL: $*" >&2
	[ -s "$tmp/err" ] && tail -n 20 "$tmp/err" >&2
	exit 1
}

qemu() {	# WRAPPER...: run QEMU under it, stdout in $tmp/out
	"$@" "$qemu" -accel kvm -cpu qemu64 -M microvm,pic=on,pit=on,rtc=off,kernel-irqchip=on \
		-bios "$bios" -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-display none -nodefaults -no-user-config -m 16 \
		</dev/null >"$tmp/out" 2>"$tmp/err"
}

check() {	# status what
	[ "$(cat "$tmp/out")" = "$expected" ] || fail "$2: stdout is \"$(cat "$tmp/out")\""
	[ "$1" -eq 3 ] || fail "$2: exit status $1, expected 3 (isa-debug-exit 1)"
}

case $mode in
native)
	if ! [ -c /dev/kvm ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
		echo "skip: /dev/kvm is absent or cannot be opened"
		exit 77
	fi
	qemu timeout 60
	check $? "native QEMU"
	echo "ok: native QEMU with kernel-irqchip=on printed the line and exited with 3" ;;
kvmsim)
	qemu timeout 60 "$kvmsim" exec --trace "$tmp/trace.jsonl" --
	check $? "QEMU with kernel-irqchip=on under kvmsim"
	for ev in kvm_create_irqchip kvm_create_pit kvm_lapic_set_vapic_addr; do
		grep -q "\"event\":\"$ev\"" "$tmp/trace.jsonl" || fail "no $ev in the trace"
	done
	echo "ok: the line, exit status 3, the in-kernel irqchip, PIT and vapic in the trace" ;;
*)
	echo "usage: $0 native|kvmsim KVMSIM BIOS" >&2
	exit 2 ;;
esac
