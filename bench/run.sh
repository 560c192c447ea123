#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Benchmarks for bench/RESULTS.md.  Speed is measured here, never asserted
# by the tests.
#
#   bench/run.sh [BUILD_DIR]        (default: build)
#
# Wall time is taken from outside each process (date +%s%N), twice per
# figure with different sizes, and the difference is used, so process
# start-up and VM setup cancel out.  The programs read no clock.

set -eu
build=${1:-build}
kvmsim=$build/kvmsim
vmm=$build/bench/bench-vmm
raw=$build/bench/bench-unicorn
for f in "$kvmsim" "$vmm" "$raw"; do
	[ -x "$f" ] || { echo "missing $f: cmake --build $build" >&2; exit 1; }
done

now() { date +%s%N; }

# elapsed_ns CMD...: wall time of one run, in ns
elapsed_ns() {
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	echo $((t1 - t0))
}

# rate SMALL BIG CMD-PREFIX...: (BIG - SMALL) / (t(BIG) - t(SMALL)), per second
rate() {
	small=$1 big=$2
	shift 2
	ts=$(elapsed_ns "$@" "$small")
	tb=$(elapsed_ns "$@" "$big")
	echo $(( (big - small) * 1000000000 / (tb - ts) ))
}

echo "machine: $(nproc) cpus, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# (a) exits per second: one KVM_EXIT_IO per guest `out`
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	native=$(rate 10000 200000 "$vmm" exits)
	echo "exits/s native (/dev/kvm):      $native   ($vmm exits 10000 vs 200000)"
else
	native=
	echo "exits/s native: skipped, no usable /dev/kvm"
fi
sim=$(rate 100000 2000000 "$kvmsim" exec -- "$vmm" exits)
echo "exits/s kvmsim:                 $sim   ($kvmsim exec -- $vmm exits 100000 vs 2000000)"
ratio() { awk "BEGIN { printf \"%.3f\", $1 / $2 }"; }
[ -n "$native" ] && echo "ratio kvmsim/native:            $(ratio "$sim" "$native")"

# (b) compute loop: 5 guest instructions per iteration, no exits
iters_small=2000000 iters_big=20000000
sim=$(rate $iters_small $iters_big "$kvmsim" exec -- "$vmm" compute)
rawr=$(rate $iters_small $iters_big "$raw")
# rate's CMD takes N last: put the quantum after it with a wrapper
counted() { "$raw" "$1" 100000; }
rawc=$(rate $iters_small $iters_big counted)
echo "guest insns/s kvmsim:           $((sim * 5))   ($kvmsim exec -- $vmm compute $iters_small vs $iters_big)"
echo "guest insns/s raw Unicorn:      $((rawr * 5))   ($raw $iters_small vs $iters_big)"
echo "guest insns/s raw Unicorn, counted quanta of 100000: $((rawc * 5))   ($raw N 100000)"
echo "ratio kvmsim/raw:               $(ratio "$sim" "$rawr")"
echo "ratio kvmsim/raw counted:       $(ratio "$sim" "$rawc")"

# (b2) load/store loop: 7 guest instructions per iteration, 16 pages
sim=$(rate $iters_small $iters_big "$kvmsim" exec -- "$vmm" memory)
memory() { "$raw" memory "$1"; }
rawr=$(rate $iters_small $iters_big memory)
echo "memory loop insns/s kvmsim:     $((sim * 7))   ($kvmsim exec -- $vmm memory $iters_small vs $iters_big)"
echo "memory loop insns/s raw Unicorn: $((rawr * 7))   ($raw memory $iters_small vs $iters_big)"
echo "ratio kvmsim/raw (memory):      $(ratio "$sim" "$rawr")"

# (c) touch-pages: stage-2 faults per second, whole runs
trace=$(mktemp)
"$kvmsim" run touch-pages --trace "$trace" >/dev/null 2>&1
faults=$(grep -c '"event":"kvm_mmu_page_fault"' "$trace")
rm -f "$trace"
runs=20
t0=$(now)
i=0
while [ $i -lt $runs ]; do
	"$kvmsim" run touch-pages >/dev/null 2>&1
	i=$((i + 1))
done
t1=$(now)
echo "touch-pages: $faults stage-2 faults per run; $(( faults * runs * 1000000000 / (t1 - t0) )) faults/s over $runs whole runs (process start included)"

# best of three CPU times (user + system, ms), pinned to one CPU: the
# wall time of a shared machine is too noisy
tf=$(mktemp)
cpu_ms() {
	b=
	for _ in 1 2 3; do
		/usr/bin/time -o "$tf" -f "%U %S" taskset -c 0 "$@" >/dev/null 2>&1
		t=$(tail -1 "$tf" | awk '{ printf "%d", ($1 + $2) * 1000 }')
		{ [ -z "$b" ] || [ "$t" -lt "$b" ]; } && b=$t
	done
	echo "$b"
}

# (d) demand paging through userfaultfd: 1 vCPU, 1 reader (epoll), MISSING,
#     the same binary natively and under kvmsim; -n skips the host-side
#     byte check, which would dominate both
dp=$build/scenarios/demand-paging
if [ -x "$dp" ]; then
	dp_rate() {	# dp_rate CMD-PREFIX...: pages per CPU-second, -b 16M vs 256M
		ts=$(cpu_ms "$@" "$dp" -n -v 1 -r 1 -b 16M)
		tb=$(cpu_ms "$@" "$dp" -n -v 1 -r 1 -b 256M)
		echo $(( (65536 - 4096) * 1000 / (tb - ts) ))
	}
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		native=$(dp_rate)
		echo "demand-paging pages/CPU-s native: $native   (taskset -c 0 $dp -n -v 1 -r 1 -b 16M vs 256M)"
	else
		native=
		echo "demand-paging pages/s native: skipped, no usable /dev/kvm"
	fi
	sim=$(dp_rate "$kvmsim" exec --)
	echo "demand-paging pages/CPU-s kvmsim: $sim   (taskset -c 0 $kvmsim exec -- $dp -n -v 1 -r 1 -b 16M vs 256M)"
	[ -n "$native" ] && echo "ratio kvmsim/native:            $(ratio "$sim" "$native")"

	# (d2) the same with 2 MiB pages (-H: MAP_HUGETLB, one 2 MiB UFFDIO_COPY
	#      per fault; the rate still counts the 4 KiB pages the guest
	#      writes; 16M vs 1G, as 256M is over in a few ticks of CPU time
	#      under kvmsim).  It needs 520 free huge pages: as root the run
	#      reserves them through /proc/sys/vm/nr_hugepages and gives them
	#      back.
	hp=/proc/sys/vm/nr_hugepages hp_orig=
	hp_free() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }
	if [ "$(hp_free)" -lt 520 ] && [ -w $hp ]; then
		hp_orig=$(cat $hp)
		echo $((hp_orig + 520)) > $hp
	fi
	if [ "$(hp_free)" -ge 520 ]; then
		dp_rate_2m() {
			ts=$(cpu_ms "$@" "$dp" -H -n -v 1 -r 1 -b 16M)
			tb=$(cpu_ms "$@" "$dp" -H -n -v 1 -r 1 -b 1G)
			echo $(( (262144 - 4096) * 1000 / (tb - ts) ))
		}
		native=
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			native=$(dp_rate_2m)
			echo "demand-paging 2M pages/CPU-s native: $native   (taskset -c 0 $dp -H -n -v 1 -r 1 -b 16M vs 1G)"
		fi
		sim=$(dp_rate_2m "$kvmsim" exec --)
		echo "demand-paging 2M pages/CPU-s kvmsim: $sim   (taskset -c 0 $kvmsim exec -- $dp -H -n -v 1 -r 1 -b 16M vs 1G)"
		[ -n "$native" ] && echo "ratio kvmsim/native (2M):       $(ratio "$sim" "$native")"
	else
		echo "demand-paging 2M: skipped, fewer than 520 free huge pages"
	fi
	[ -n "$hp_orig" ] && echo "$hp_orig" > $hp
fi

# (s) scale: memory per vCPU, the cost of a stage-2 fault from 1 to 256
#     vCPUs, a 64 GiB memslot with 1% of its pages touched
sc=$build/bench/bench-scale
if [ -x "$sc" ]; then
	rss_kb() { "$@" | sed 's/.*VmRSS \([0-9]*\) kB/\1/'; }
	for how in native kvmsim; do
		pre=
		[ $how = kvmsim ] && pre="$kvmsim exec --"
		if [ $how = native ] && ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
			echo "scale native: skipped, no usable /dev/kvm"
			continue
		fi
		r1=$(rss_kb $pre "$sc" vcpus 1 0)
		r256=$(rss_kb $pre "$sc" vcpus 256 0)
		echo "$how: memory per vCPU (256 vs 1 vCPU, no guest memory touched): $(( (r256 - r1) / 255 )) kB   ($pre $sc vcpus 1|256 0, VmRSS)"
		for v in 1 16 256; do
			p=$((16384 / v))
			t0=$(cpu_ms $pre "$sc" vcpus $v 0)
			t1=$(cpu_ms $pre "$sc" vcpus $v $p)
			echo "$how: $v vCPUs, 16384 faults: $(( (t1 - t0) * 1000000 / 16384 )) ns per fault   ($pre $sc vcpus $v $p vs $v 0, CPU time)"
		done
		/usr/bin/time -o "$tf" -f "%e %U %S %M" $pre "$sc" sparse 64 100 >/dev/null
		echo "$how: 64 GiB slot, every 100th page written: $(awk '{ printf "%.2f s wall, %.2f s CPU, %d kB max RSS", $1, $2 + $3, $4 }' "$tf")   ($pre $sc sparse 64 100)"
	done
fi

# (f) the demand-paging cost model (virtual time, --cost): seed 000's two
#     shapes.  Readers: poll's herd collapses as readers grow, epoll with
#     EPOLLEXCLUSIVE holds (seed: ./demand_paging_test -u MINOR -s shmem
#     -v 4 -o -r N).  vCPUs: one shared userfaultfd saturates on its
#     wait-queue lock, memory-fault exits (-w) scale.
if [ -x "$dp" ]; then
	rate() { "$kvmsim" exec --cost -- "$dp" -n -t "$@" | sed -n 's/^paging rate: \([0-9]*\).*/\1/p'; }
	echo "cost model, $kvmsim exec --cost -- $dp -u MINOR -v 4 -o -b 4M -n -t -r N [-p]:"
	for r in 1 2 4 16 32; do
		echo "  readers $r: poll $(rate -u MINOR -v 4 -o -b 4M -r $r -p) pages/s, epoll $(rate -u MINOR -v 4 -o -b 4M -r $r) pages/s"
	done
	echo "cost model, [KVMSIM_PROFILE=exit-on-missing] $kvmsim exec --cost -- $dp -a -v V -r 4 -b 512K -n -t [-w]:"
	for v in 1 2 4 8 16; do
		echo "  vCPUs $v: one userfaultfd $(rate -a -v $v -r 4 -b 512K) pages/s, memory-fault exits $(KVMSIM_PROFILE=exit-on-missing rate -a -w -v $v -r 4 -b 512K) pages/s"
	done
fi

# (g) arm64 (kvmsim --arch arm64 only: no arm64 host here): exits/s of
#     MMIO writes re-entered at once, and the guest's compute loop and
#     load/store mix against the same instruction words free-running on
#     raw Unicorn arm64.  The compute figures are CPU time (user + sys of
#     the process, from the shell's `times`): on a shared machine wall
#     time measures the neighbours.
vmm64=$build/bench/bench-vmm-arm64
raw64=$build/bench/bench-unicorn-arm64
# cpu_rate SMALL BIG CMD-PREFIX...: as rate, with the process' CPU time
cpu_ns() {
	( "$@" >/dev/null; times ) | tail -1 | awk '{
		split($1, u, "m"); split($2, s, "m");
		printf "%d", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1e9 }'
}
cpu_rate() {
	small=$1 big=$2
	shift 2
	ts=$(cpu_ns "$@" "$small")
	tb=$(cpu_ns "$@" "$big")
	echo $(( (big - small) * 1000000000 / (tb - ts) ))
}
if [ -x "$vmm64" ] && [ -x "$raw64" ]; then
	sim=$(rate 100000 1000000 "$kvmsim" exec --arch arm64 -- "$vmm64" exits)
	echo "arm64 exits/s kvmsim:           $sim   ($kvmsim exec --arch arm64 -- $vmm64 exits 100000 vs 1000000)"
	for loop in compute mix; do
		insns=5
		[ $loop = mix ] && insns=8
		rawargs=
		[ $loop = mix ] && rawargs=mix
		sim=$(cpu_rate 20000000 200000000 "$kvmsim" exec --arch arm64 -- "$vmm64" $loop)
		raw=$(cpu_rate 20000000 200000000 "$raw64" $rawargs)
		echo "arm64 $loop guest insns/s kvmsim:     $((sim * insns))   ($kvmsim exec --arch arm64 -- $vmm64 $loop 20000000 vs 200000000, CPU time)"
		echo "arm64 $loop guest insns/s raw Unicorn: $((raw * insns))   ($raw64 $rawargs 20000000 vs 200000000, CPU time)"
		echo "arm64 $loop ratio kvmsim/raw:         $(ratio "$sim" "$raw")"
	done
	# memory per vCPU created and initialized, none run (VmRSS, 1 vs 256)
	r1=$("$kvmsim" exec --arch arm64 -- "$vmm64" vcpus 1 | awk '{ print $4 }')
	r256=$("$kvmsim" exec --arch arm64 -- "$vmm64" vcpus 256 | awk '{ print $4 }')
	echo "arm64 kB per vCPU before guest memory: $(( (r256 - r1) / 255 ))   ($kvmsim exec --arch arm64 -- $vmm64 vcpus 1 vs 256, VmRSS)"
fi

# (p) the upstream selftest x86_64/private_mem_conversions_test (SW-protected
#     VM, guest_memfd, KVM_SET_MEMORY_ATTRIBUTES, PUNCH_HOLE) under kvmsim,
#     whole runs, best of three CPU times pinned to one CPU: the default run
#     (1 vCPU, 1 memslot) and 4 vCPUs over 2 memslots.  Needs the selftests
#     built by ctest's selftests/kvm (BUILD/selftests-6.12).
st=$build/selftests-6.12/linux-source-6.12/tools/testing/selftests/kvm
pmc=x86_64/private_mem_conversions_test
if [ -x "$st/$pmc" ]; then
	abs=$(cd "$(dirname "$kvmsim")" && pwd)/kvmsim
	for args in "" "-n 4 -m 2"; do
		# shellcheck disable=SC2086
		ms=$(cd "$st" && cpu_ms "$abs" exec --profile linux-6.12 -- "./$pmc" $args)
		echo "private_mem_conversions_test $args CPU ms kvmsim: $ms   (cd $st && $abs exec --profile linux-6.12 -- ./$pmc $args)"
	done
else
	echo "private_mem_conversions_test: skipped, $st/$pmc is not built (ctest -R selftests/kvm builds it)"
fi
