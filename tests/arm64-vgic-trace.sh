#!/bin/sh
# SPDX-License-Identifier: MIT
#
# arm64-vgic-trace.sh KVMSIM: the vgic-timer scenario's deliveries, from
# its trace: ten periodic virtual-timer ticks on PPI 27, each raised
# exactly one period (200000 counter ticks) after the previous one, and
# two one-shot ones (masked, mid-loop), each taken by
# vCPU 0 (vgic_v3_populate_lr), acknowledged and EOId; SPI 40 from
# KVM_IRQ_LINE; SGI 1 from vCPU 0 to vCPU 1 (targets 0x2) and SGI 2 back
# (targets 0x1), in that order; two runs with one seed, one trace.
set -u
kvmsim=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for i in 1 2; do
	"$kvmsim" run vgic-timer --arch arm64 --seed 3 --trace "$dir/t$i.jsonl" >/dev/null 2>&1 ||
		fail "run $i of vgic-timer does not meet its manifest"
done
cmp -s "$dir/t1.jsonl" "$dir/t2.jsonl" || fail "same seed, different traces"
t=$dir/t1.jsonl
count() { grep -c "$1" "$t"; }
[ "$(count '"event":"vgic_v3_populate_lr","vcpu":"vcpu0","intid":27,')" = 12 ] || fail "not 12 ticks taken"
[ "$(count '"event":"kvm_timer_update_irq","vcpu":"vcpu0","timer":"vtimer","irq":27,"level":1')" = 12 ] ||
	fail "not 12 rising edges of the vtimer line"
[ "$(count '"event":"__vgic_v3_read_iar","vcpu":"vcpu0","intid":27[,}]')" = 12 ] || fail "not 12 acks of 27"
[ "$(count '"event":"__vgic_v3_write_eoir","vcpu":"vcpu0","intid":27[,}]')" = 12 ] || fail "not 12 EOIs of 27"
[ "$(count '"intid":1023')" = 0 ] || fail "a spurious acknowledge"
[ "$(count '"event":"vgic_v3_populate_lr","vcpu":"vcpu0","intid":40,')" = 1 ] || fail "SPI 40 not taken once"
[ "$(count '"event":"kvm_irq_line","type":1,"vcpu_id":0,"irq_num":40,"level":1')" = 1 ] || fail "no KVM_IRQ_LINE raise"
# the periodic ticks' rising edges come exactly one period apart on the virtual counter
grep '"event":"kvm_timer_update_irq","vcpu":"vcpu0","timer":"vtimer","irq":27,"level":1' "$t" |
	sed 's/.*"cnt":"\(0x[0-9a-f]*\)".*/\1/' | head -10 | while read -r c; do printf '%d\n' "$c"; done > "$dir/cnt"
awk 'NR > 1 && $1 - prev != 200000 { bad = 1 } { prev = $1 } END { exit bad || NR != 10 }' "$dir/cnt" ||
	fail "ticks not 200000 apart: $(tr '\n' ' ' < "$dir/cnt")"
# SGI 1 to vCPU 1, taken there, SGI 2 back, taken by vCPU 0: in this order
grep -n -e '"event":"vgic_v3_dispatch_sgi"' -e '"event":"vgic_v3_populate_lr","vcpu":"vcpu1"' \
	-e '"event":"vgic_v3_populate_lr","vcpu":"vcpu0","intid":2,' "$t" |
	sed 's/.*"event":"\([a-z_0-9]*\)","vcpu":"\(vcpu[01]\)",\("sgi":[0-9]*\|"intid":[0-9]*\).*/\1 \2 \3/' > "$dir/sgi"
printf '%s\n' 'vgic_v3_dispatch_sgi vcpu0 "sgi":1' 'vgic_v3_populate_lr vcpu1 "intid":1' \
	'vgic_v3_dispatch_sgi vcpu1 "sgi":2' 'vgic_v3_populate_lr vcpu0 "intid":2' | diff - "$dir/sgi" >&2 ||
	fail "SGI order"
grep -q '"event":"vgic_v3_dispatch_sgi","vcpu":"vcpu0","sgi":1,"reg":"0x1000002","targets":"0x2"' "$t" ||
	fail "SGI 1 not targeted at vCPU 1 alone"
grep -q '"event":"kvm_vcpu_block","vcpu":"vcpu1"' "$t" || fail "vCPU 1 never blocked in wfi"
echo "ok: 10 ticks 200000 apart, SPI 40, SGI 1 -> vCPU 1 -> SGI 2, $(wc -l < "$t") events"
