#!/usr/bin/env python3
"""Fails when a public symbol declared in our sources has no `///` documentation.

Reads the symbol graphs that `swift package generate-documentation` extracted (public access
level) for each module named on the command line, and lists every symbol that is declared in
Sources/ (it has a source location there), is not compiler-synthesized, and has no doc comment.
Members that implement a requirement of a protocol declared elsewhere (`description`,
`hash(into:)`, `encode(to:)`, …) inherit that protocol's documentation in DocC and are not
listed; members implementing our own protocols' requirements are listed like any other.

usage: scripts/doc_coverage.py SYMBOL_GRAPH_DIR MODULE [MODULE ...]
"""
import json
import os
import sys


def main() -> int:
    root, modules = sys.argv[1], sys.argv[2:]
    missing = []
    for module in modules:
        path = os.path.join(root, module, f"{module}.symbols.json")
        if not os.path.exists(path):
            print(f"doc_coverage: no symbol graph for {module} at {path}", file=sys.stderr)
            return 2
        graph = json.load(open(path))
        ours = {s["identifier"]["precise"] for s in graph["symbols"]}
        # Requirements each member implements, from its `requirementOf`/`overrides` edges.
        foreign_witness = set()
        for r in graph["relationships"]:
            if r["kind"] in ("defaultImplementationOf", "overrides") or (
                r["kind"] == "memberOf" and "sourceOrigin" in r
            ):
                if r["target"] not in ours or r["kind"] == "memberOf":
                    foreign_witness.add(r["source"])
        for s in graph["symbols"]:
            precise = s["identifier"]["precise"]
            if "::SYNTHESIZED::" in precise or precise in foreign_witness:
                continue
            location = s.get("location", {}).get("uri", "")
            if "/Sources/" not in location:
                continue
            if s.get("docComment", {}).get("lines"):
                continue
            name = ".".join(s["pathComponents"])
            line = s["location"]["position"]["line"] + 1
            missing.append(f"{location.split('/Sources/')[1]}:{line}: {module}.{name} ({s['kind']['displayName']})")
    for m in sorted(missing):
        print("undocumented public symbol:", m)
    print(f"doc_coverage: {len(missing)} undocumented public symbol(s) in {', '.join(modules)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
