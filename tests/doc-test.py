#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a Markdown document as a test, the way a reader follows it.

   doc-test.py DOC.md WORKDIR

A fenced block whose info string has file=PATH is written to WORKDIR/PATH.
In a ```console block every line "$ COMMAND" is run with sh in WORKDIR
(a trailing "# exits N" comment is the exit status it must give, 0
otherwise); the lines after it, up to the next "$ " line, are lines its
output must contain, in order within stdout and within stderr ("..."
lines are skipped).  Commands run in document order, so a file written
or a command run earlier is there for the later ones.
"""
import os
import re
import subprocess
import sys


def blocks(text):
    """(info, lines, line number) of every fenced block."""
    out, cur, start = [], None, 0
    for n, line in enumerate(text.splitlines(), 1):
        if cur is None:
            m = re.match(r'^```(.*)$', line)
            if m:
                cur, info, start = [], m.group(1).strip(), n
        elif line.startswith('```'):
            out.append((info, cur, start))
            cur = None
        else:
            cur.append(line)
    return out


def commands(lines, start):
    """(command, expected lines, line number) of a console block."""
    out = []
    for i, line in enumerate(lines):
        if line.startswith('$ '):
            out.append([line[2:], [], start + 1 + i])
        elif out and line.strip() and line.strip() != '...':
            out[-1][1].append(line.rstrip())
    return out


def in_order(want, stdout, stderr):
    """The first wanted line not found in order in either stream, or None."""
    pos = {'out': 0, 'err': 0}
    streams = {'out': stdout.splitlines(), 'err': stderr.splitlines()}
    for w in want:
        for name in ('out', 'err'):
            lines = [x.rstrip() for x in streams[name]]
            if w in lines[pos[name]:]:
                pos[name] += lines[pos[name]:].index(w) + 1
                break
        else:
            return w
    return None


def main():
    doc, work = sys.argv[1], sys.argv[2]
    failures = ran = 0
    for info, lines, start in blocks(open(doc).read()):
        m = re.search(r'\bfile=(\S+)', info)
        if m:
            path = os.path.join(work, m.group(1))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write('\n'.join(lines) + '\n')
            continue
        if info.split()[:1] != ['console']:
            continue
        for cmd, want, n in commands(lines, start):
            m = re.search(r'#\s*exits\s+(\d+)\s*$', cmd)
            status = int(m.group(1)) if m else 0
            r = subprocess.run(['sh', '-c', cmd], cwd=work, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL)
            ran += 1
            missing = in_order(want, r.stdout, r.stderr)
            if r.returncode != status or missing is not None:
                failures += 1
                print(f'{doc}:{n}: $ {cmd}', file=sys.stderr)
                print(f'  exit status {r.returncode} (want {status})', file=sys.stderr)
                if missing is not None:
                    print(f'  missing, in order: {missing}', file=sys.stderr)
                for name, s in (('stdout', r.stdout), ('stderr', r.stderr)):
                    tail = s.splitlines()[-15:]
                    print(f'  {name}:' + ''.join('\n    ' + x for x in tail), file=sys.stderr)
    print(f'{doc}: {ran} commands, {failures} failed')
    return 1 if failures or not ran else 0


if __name__ == '__main__':
    sys.exit(main())
