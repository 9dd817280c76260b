#!/usr/bin/env python3
"""The include graph of genlab/ keeps its direction (docs/DESIGN.md, "Who may know whom").

Checks, from the #include lines alone:
  1. the layers: core includes nothing of samplers/models/experiments, samplers nothing of
     models/experiments, models nothing of experiments;
  2. the rooms of genlab/experiments/ (each folder a room; the loose files one room): no
     include loop between rooms;
  3. no header includes a header that (directly or not) includes it back.
Exit status 1 with each violation listed. Usage: include_loops.py [REPO_ROOT]
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
src = os.path.join(root, "genlab")
includes = {}
for folder, _, files in os.walk(src):
    for f in files:
        if f.endswith((".h", ".cpp", ".cu")):
            path = os.path.relpath(os.path.join(folder, f), root)
            with open(os.path.join(root, path), encoding="utf-8") as text:
                includes[path] = re.findall(r'#include "(genlab/[^"]+)"', text.read())

problems = []
order = ["core", "samplers", "models", "experiments"]
for path, incs in includes.items():
    layer = order.index(path.split("/")[1])
    for inc in incs:
        if inc.split("/")[1] in order and order.index(inc.split("/")[1]) > layer:
            problems.append(f"{path} includes {inc}: an arrow up")


def strongly_connected(graph):
    index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(100000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in list(graph):
        if v not in index:
            visit(v)
    return groups


def room(path):
    parts = path.split("/")
    return parts[2] if len(parts) > 3 else "(experiments)"


rooms = {}
for path, incs in includes.items():
    if path.startswith("genlab/experiments/"):
        for inc in incs:
            if inc.startswith("genlab/experiments/") and room(inc) != room(path):
                rooms.setdefault(room(path), set()).add(room(inc))
for group in strongly_connected(rooms):
    problems.append("experiments rooms in an include loop: " + ", ".join(group))

headers = {p: {i for i in incs if i.endswith(".h")} for p, incs in includes.items() if p.endswith(".h")}
for group in strongly_connected(headers):
    problems.append("headers that include each other: " + ", ".join(group))

for p in problems:
    print(p)
print(f"{len(includes)} files: " + ("ok" if not problems else f"{len(problems)} problems"))
sys.exit(1 if problems else 0)
