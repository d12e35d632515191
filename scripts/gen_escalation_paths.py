#!/usr/bin/env python3
"""Regenerate data/escalation-paths.json from DataDog's pathfinding.cloud catalogue.

Source: https://github.com/DataDog/pathfinding.cloud (Apache-2.0, Copyright 2025-Present
Datadog, Inc.; see data/LICENSES.md). Usage:

    python3 scripts/gen_escalation_paths.py PATHFINDING_DIR > data/escalation-paths.json

PATHFINDING_DIR holds `paths/<service>/<id>.yaml` (schema 1.6). Only what trailtrim uses is kept:
id, name, category, services, the required permissions and the prerequisites, sorted by id.
"""
import json
import pathlib
import sys

import yaml


def main(root):
    paths = []
    for f in sorted(pathlib.Path(root, "paths").rglob("*.yaml")):
        d = yaml.safe_load(f.read_text())
        required = sorted({p["permission"] for p in d.get("permissions", {}).get("required", [])})
        prereq = d.get("prerequisites") or {}
        if isinstance(prereq, dict):
            prereq = sorted({s for v in prereq.values() for s in (v if isinstance(v, list) else [v])})
        paths.append({
            "id": d["id"],
            "name": d["name"],
            "category": d.get("category", ""),
            "services": d.get("services", []),
            "required": required,
            "prerequisites": prereq,
        })
    paths.sort(key=lambda p: p["id"])
    doc = {
        "source": "https://github.com/DataDog/pathfinding.cloud",
        "licence": "Apache-2.0",
        "notice": "Datadog pathfinding.cloud, Copyright 2025-Present Datadog, Inc.",
        "paths": paths,
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
