#!/bin/sh
# SPDX-License-Identifier: MIT
# The tutorial and the workshop script, followed as a reader would, with
# an installed kvmsim (installed into a DESTDIR and moved, as
# install-test.sh does) first on PATH: every command in them is run and
# must give the exit status and the output lines the text shows.  The
# workshop's stepper sessions are driven through a pipe.
#   docs-test.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$1
SRC=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: no python3 to read the documents"; exit 77; }

DESTDIR=$W/dest cmake --install "$BUILD" --prefix /opt/kvmsim >"$W/install.log" 2>&1 ||
	fail "install: $(tail -5 "$W/install.log")"
mv "$W/dest/opt/kvmsim" "$W/prefix" || fail "move"
PATH=$W/prefix/bin:$PATH
CMAKE_PREFIX_PATH=$W/prefix
export PATH CMAKE_PREFIX_PATH
for doc in tutorial workshop; do
	mkdir "$W/$doc"
	python3 "$SRC/tests/doc-test.py" "$SRC/docs/$doc.md" "$W/$doc" || fail "docs/$doc.md"
done
echo ok
