#!/bin/sh
# SPDX-License-Identifier: MIT
# The demand-paging cost model's shapes (virtual time, so exact and
# repeatable, not a timing test): poll's herd collapses with readers while
# epoll holds; memory-fault exits scale with vCPUs past one shared uffd.
#   cost-model.sh KVMSIM DEMAND_PAGING
set -u
kvmsim=$1 dp=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
rate() { "$kvmsim" exec --cost -- "$dp" -n -t "$@" | sed -n 's/^paging rate: \([0-9]*\).*/\1/p'; }
p1=$(rate -u MINOR -v 4 -o -b 1M -r 1 -p) p32=$(rate -u MINOR -v 4 -o -b 1M -r 32 -p)
e1=$(rate -u MINOR -v 4 -o -b 1M -r 1) e32=$(rate -u MINOR -v 4 -o -b 1M -r 32)
[ -n "$p1" ] && [ -n "$p32" ] && [ -n "$e1" ] && [ -n "$e32" ] || fail "no rate printed"
[ "$p32" -lt $((p1 / 2)) ] || fail "poll: $p1 -> $p32 pages/s from 1 to 32 readers, expected a collapse"
[ "$e32" -gt $((e1 * 9 / 10)) ] || fail "epoll: $e1 -> $e32 pages/s, expected it to hold"
[ "$e32" -gt $((p32 * 2)) ] || fail "32 readers: epoll $e32, poll $p32"
[ "$(rate -u MINOR -v 4 -o -b 1M -r 4)" = "$(rate -u MINOR -v 4 -o -b 1M -r 4)" ] || fail "not repeatable"
s16=$(rate -a -v 16 -r 4 -b 256K) w16=$(KVMSIM_PROFILE=exit-on-missing rate -a -w -v 16 -r 4 -b 256K)
s4=$(rate -a -v 4 -r 4 -b 256K) s8=$(rate -a -v 8 -r 4 -b 256K)
w4=$(KVMSIM_PROFILE=exit-on-missing rate -a -w -v 4 -r 4 -b 256K)
[ "$w16" -gt $((s16 * 3)) ] || fail "16 vCPUs: memory-fault exits $w16, shared uffd $s16"
[ "$s16" -lt $((s8 * 3 / 2)) ] || fail "shared uffd scales: 8 vCPUs $s8, 16 vCPUs $s16"
[ "$w16" -gt $((w4 * 3)) ] || fail "memory-fault exits do not scale: 4 vCPUs $w4, 16 vCPUs $w16"
echo "ok: poll $p1 -> $p32, epoll $e1 -> $e32; 16 vCPUs: shared $s16 vs exits $w16 (4: $s4 vs $w4)"
