#!/bin/sh
# SPDX-License-Identifier: MIT
# export-map.sh OUT OBJ...: a linker version script exporting the global
# functions the interposition objects define (the libc names they
# replace) and making every other symbol of libkvmsim.so local.  The
# sanitizers' own instrumentation globals are not interposed names.
set -eu
out=$1
shift
{
	echo "{ global:"
	nm -g --defined-only "$@" | awk '$2 == "T" || $2 == "W" { print $3 }' |
		grep -v -E '^__(asan|ubsan|sanitizer|odr_asan)' | sort -u | sed 's/.*/	&;/'
	echo "local: *; };"
} > "$out.tmp"
mv "$out.tmp" "$out"
