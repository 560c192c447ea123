#!/bin/sh
# SPDX-License-Identifier: MIT
#
# QEMU (Debian's qemu-system-x86) on a -bios guest of our own.
#
#   run.sh native KVMSIM BIOS   natively: the guest's line on stdout, exit status 3
#   run.sh kvmsim KVMSIM BIOS   under kvmsim exec: the same, and the same trace
#                               hash on two runs with one seed
#   run.sh sigterm KVMSIM BIOS  the idle guest (halted forever) under kvmsim:
#                               SIGTERM from outside ends QEMU cleanly
#                               (exit 0, its "terminating on signal" line)
#   run.sh pc-native KVMSIM FLOPPY  -M pc,kernel-irqchip=off: QEMU's own
#   run.sh pc-kvmsim KVMSIM FLOPPY  SeaBIOS boots the boot sector on the
#                               floppy image, which prints its line and exits
#                               with status 3; natively and under kvmsim
#                               (twice with one seed: one trace hash).
#                               Natively up to three tries, and a skip when
#                               each time SeaBIOS's floppy wait timed out
#                               (its log on port 0x402 says so): kvm_pvm,
#                               loaded, lets the floppy interrupt miss the
#                               guest's one-instruction window (sti; nop;
#                               pause; cli) until the wait's end
# No qemu-system-x86_64 (or, natively, no /dev/kvm): skipped (77).
set -u
mode=$1 kvmsim=$2 bios=$3
qemu=$(command -v qemu-system-x86_64) || { echo "skip: no qemu-system-x86_64"; exit 77; }
# QEMU 8 and later (Debian 13 has 10.0) give a CPU with an APIC only
# the in-kernel one ("KVM does not support userspace APIC"): the guest's
# CPU has none (-cpu qemu64,-apic), with every QEMU version.
qemu_major=$("$qemu" --version | sed -n '1s/^QEMU emulator version \([0-9]*\)\..*/\1/p')
cpu="qemu64,-apic"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
expected="hello from a -bios guest on port 0xe9"
case $mode in pc-*) expected="hello from a boot sector on port 0xe9" ;; esac

fail() {
	echo "FAIL: $*" >&2
	[ -s "$tmp/err" ] && tail -n 20 "$tmp/err" >&2
	exit 1
}

qemu() {	# WRAPPER...: run QEMU under it, stdout in $tmp/out
	"$@" "$qemu" -accel kvm -cpu "$cpu" -M microvm,pic=off,pit=off,rtc=off,kernel-irqchip=off \
		-bios "$bios" -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-display none -nodefaults -no-user-config -m 16 \
		</dev/null >"$tmp/out" 2>"$tmp/err"
}

# -M pc with SeaBIOS booting the floppy image (read-only: runs in parallel share it)
qemu_pc() {	# WRAPPER...: as qemu
	"$@" "$qemu" -accel kvm -cpu "$cpu" -M pc,kernel-irqchip=off \
		-drive file="$bios",format=raw,if=floppy,readonly=on \
		-debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-chardev file,id=seabios,path="$tmp/seabios.log" \
		-device isa-debugcon,iobase=0x402,chardev=seabios \
		-display none -nodefaults -no-user-config -m 16 \
		</dev/null >"$tmp/out" 2>"$tmp/err"
}

check() {	# status what
	[ "$(cat "$tmp/out")" = "$expected" ] || fail "$2: stdout is \"$(cat "$tmp/out")\""
	[ "$1" -eq 3 ] || fail "$2: exit status $1, expected 3 (isa-debug-exit 1)"
}

# QEMU 8 and later require KVM_CAP_IOEVENTFD, KVM_CAP_IOEVENTFD_ANY_LENGTH
# and KVM_CAP_SIGNAL_MSI, which come with kvmsim's in-kernel irqchip
# model: until kvmsim answers them, say so and skip.
skip_missing_cap() {
	line=$(grep -E "kvm does not support KVM_CAP_(IOEVENTFD|IOEVENTFD_ANY_LENGTH|SIGNAL_MSI)$" "$tmp/err") || return 0
	echo "skip: QEMU $qemu_major under kvmsim: $line"
	exit 77
}

case $mode in
native)
	if ! [ -c /dev/kvm ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
		echo "skip: /dev/kvm is absent or cannot be opened"
		exit 77
	fi
	qemu timeout 60
	check $? "native QEMU"
	echo "ok: native QEMU printed the line and exited with 3" ;;
kvmsim)
	for i in 1 2; do
		qemu timeout 60 "$kvmsim" exec --seed 3 --hash --
		st=$?
		skip_missing_cap
		check $st "QEMU under kvmsim, run $i"
		grep '^kvmsim: trace hash' "$tmp/err" >"$tmp/hash$i" || fail "no trace hash"
	done
	cmp -s "$tmp/hash1" "$tmp/hash2" ||
		fail "same seed, different traces: $(cat "$tmp/hash1" "$tmp/hash2")"
	echo "ok: same output and exit status, $(cat "$tmp/hash1")" ;;
pc-native)
	if ! [ -c /dev/kvm ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
		echo "skip: /dev/kvm is absent or cannot be opened"
		exit 77
	fi
	floppy_timeouts=0
	for attempt in 1 2 3; do
		rm -f "$tmp/seabios.log"
		qemu_pc timeout 60
		st=$?
		if [ "$(cat "$tmp/out")" = "$expected" ] && [ $st -eq 3 ]; then
			echo "ok: native SeaBIOS booted the boot sector: its line, exit status 3"
			exit 0
		fi
		grep -q "Timeout at floppy_wait_irq" "$tmp/seabios.log" &&
			floppy_timeouts=$((floppy_timeouts + 1))
		echo "native attempt $attempt: stdout \"$(cat "$tmp/out")\", status $st" >&2
	done
	if [ $floppy_timeouts -eq 3 ]; then
		echo "skip: natively SeaBIOS's floppy wait timed out three times (the host delivered no floppy interrupt in time)"
		exit 77
	fi
	check $st "native QEMU -M pc" ;;
pc-kvmsim)
	for i in 1 2; do
		qemu_pc timeout 900 "$kvmsim" exec --seed 3 --hash --
		st=$?
		skip_missing_cap
		check $st "QEMU -M pc under kvmsim, run $i"
		grep '^kvmsim: trace hash' "$tmp/err" >"$tmp/hash$i" || fail "no trace hash"
	done
	cmp -s "$tmp/hash1" "$tmp/hash2" ||
		fail "same seed, different traces: $(cat "$tmp/hash1" "$tmp/hash2")"
	echo "ok: SeaBIOS booted the boot sector under kvmsim, $(cat "$tmp/hash1")" ;;
sigterm)
	# a simple command: $! is QEMU itself (kvmsim exec execs it)
	"$kvmsim" exec -- "$qemu" -accel kvm -cpu "$cpu" \
		-M microvm,pic=off,pit=off,rtc=off,kernel-irqchip=off -bios "$bios" \
		-debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-display none -nodefaults -no-user-config -m 16 \
		</dev/null >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for i in $(seq 50); do
		grep -q "$expected" "$tmp/out" 2>/dev/null && break
		sleep 0.1
	done
	if ! grep -q "$expected" "$tmp/out"; then
		kill -KILL $pid 2>/dev/null
		skip_missing_cap
		fail "the idle guest never printed"
	fi
	kill -TERM $pid
	for i in $(seq 50); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -KILL $pid
		fail "QEMU did not end within 5 s of SIGTERM"
	fi
	wait $pid
	rc=$?
	grep -q "terminating on signal 15" "$tmp/err" || fail "no \"terminating on signal 15\" from QEMU"
	[ $rc -eq 0 ] || fail "exit status $rc after SIGTERM, expected 0"
	echo "ok: SIGTERM ended QEMU cleanly" ;;
esac
