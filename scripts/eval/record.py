#!/usr/bin/env python3
"""Writes measured figures into docs/measured.json, which the evidence page
and the README quote (a test holds them to it): the one place they are kept.

    record.py KEY.PATH 'JSON VALUE' [KEY.PATH 'JSON VALUE' ...]

sets each dotted key (objects created as needed) and `measured_at` (UTC
date) beside the innermost keys, then rewrites the file in a stable order.
Used by scripts/eval/{accuracy,cross,frames}.sh at their default settings."""
import datetime
import json
import os
import sys

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "measured.json")
with open(path) as f:
    data = json.load(f)
args = sys.argv[1:]
if not args or len(args) % 2:
    sys.exit(__doc__)
today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
for key, value in zip(args[::2], args[1::2]):
    *parents, leaf = key.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = json.loads(value)
    node["measured_at"] = today
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(data, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(tmp, path)
print(f"record: {', '.join(args[::2])} -> docs/measured.json")
