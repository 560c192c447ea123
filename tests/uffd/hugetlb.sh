#!/bin/sh
# SPDX-License-Identifier: MIT
#
# hugetlb.sh KVMSIM EXPECTED_DIR UFFD_HUGETLB DEMAND_PAGING: userfaultfd on
# 2 MiB hugetlbfs pages, natively and under kvmsim (seeds 1 and 7), each
# stdout equal to the transcript recorded on the real kernel:
#   uffd-hugetlb                    the errnos, message alignment, 2 MiB copies
#   demand-paging -H -v 2 -r 2 -b 4M  vCPUs demand-paging 2 MiB pages
# Both need free huge pages.  When there are too few and we may write
# /proc/sys/vm/nr_hugepages (root), the test reserves 8 more and gives them
# back at the end, under a lock so concurrent runs do not undo each other;
# otherwise it skips (77) and says why.
set -u
kvmsim=$1 expected=$2 prog=$3 dp=$4
need=8
hp=/proc/sys/vm/nr_hugepages
dir=$(mktemp -d) || exit 1
orig=
restore() {
	[ -n "$orig" ] && echo "$orig" > $hp
	rm -rf "$dir"
}
trap restore EXIT
fail() { echo "FAIL: $*" >&2; cat "$dir/err" >&2; exit 1; }
free_pages() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }

exec 9>"${TMPDIR:-/tmp}/kvmsim-hugepages.lock"
flock 9
if [ "$(free_pages)" -lt $need ]; then
	if [ ! -w $hp ]; then
		echo "SKIP: fewer than $need free 2 MiB huge pages and $hp is not writable" >&2
		exit 77
	fi
	orig=$(cat $hp)
	echo $((orig + need)) > $hp 2>/dev/null
	if [ "$(free_pages)" -lt $need ]; then
		echo "SKIP: the kernel could not reserve $need huge pages" >&2
		exit 77
	fi
fi

check() {	# check NAME CMD...
	name=$1
	shift
	"$@" >"$dir/out" 2>"$dir/err"
	st=$?
	[ $st = 0 ] || fail "$name: exit status $st"
	diff -u "$expected/$name.out" "$dir/out" || fail "$name: stdout differs"
}
check uffd-hugetlb "$prog"
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	check demand-paging-hugetlb "$dp" -H -v 2 -r 2 -b 4M
else
	echo "native: skipped, no usable /dev/kvm" >&2
fi
for seed in 1 7; do
	check uffd-hugetlb "$kvmsim" exec --seed $seed -- "$prog"
	check demand-paging-hugetlb "$kvmsim" exec --seed $seed -- "$dp" -H -v 2 -r 2 -b 4M
done
echo "ok: hugetlb userfaultfd natively and under kvmsim"
