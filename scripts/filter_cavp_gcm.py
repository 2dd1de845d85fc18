#!/usr/bin/env python3
"""Filter a NIST CAVP GCM .rsp file down to the sections with IVlen = 96 and Taglen = 128.

Usage: filter_cavp_gcm.py SOURCE.rsp DEST.rsp "origin description"

A section is a run of bracketed parameter lines ([Keylen = ...] ... [Taglen = ...]) and the
test cases after it, up to the next bracketed block. Kept sections are copied byte for byte
(line endings included); the original file's leading comment lines are kept too, and a
comment block saying what was filtered is inserted after them.
"""
import re
import sys


def main() -> int:
    src, dst, origin = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(src, "rb").read()
    lines = data.splitlines(keepends=True)
    eol = b"\r\n" if lines and lines[0].endswith(b"\r\n") else b"\n"

    preamble = []
    i = 0
    while i < len(lines) and not lines[i].startswith(b"["):
        preamble.append(lines[i])
        i += 1

    sections = []  # (params dict, list of raw lines)
    while i < len(lines):
        block = []
        params = {}
        while i < len(lines) and lines[i].startswith(b"["):
            m = re.match(rb"\[(\w+) = (\d+)\]", lines[i])
            if m:
                params[m.group(1).decode()] = int(m.group(2))
            block.append(lines[i])
            i += 1
        while i < len(lines) and not lines[i].startswith(b"["):
            block.append(lines[i])
            i += 1
        sections.append((params, block))

    kept = [(p, b) for p, b in sections if p.get("IVlen") == 96 and p.get("Taglen") == 128]
    note = [
        "# Filtered for Coffer by scripts/filter_cavp_gcm.py from",
        f"# {origin}.",
        f"# Kept only the {len(kept)} of {len(sections)} sections with [IVlen = 96] and [Taglen = 128];",
        "# those sections are reproduced verbatim (original text and line endings). Nothing else changed.",
    ]
    out = b"".join(preamble[:3]) + eol.join(s.encode() for s in note) + eol + b"".join(preamble[3:])
    for _, block in kept:
        out += b"".join(block)
    open(dst, "wb").write(out)
    print(f"{dst}: kept {len(kept)}/{len(sections)} sections, {len(out)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
