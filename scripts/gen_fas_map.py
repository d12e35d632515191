#!/usr/bin/env python3
"""Regenerate data/fas-map.json: calls AWS services make with the caller's permissions
("forward access sessions"), e.g. S3 GetObject on an SSE-KMS object -> kms:Decrypt.

Source: awslabs/iam-policy-autopilot, `resources/config/operation-fas-maps/` (Apache-2.0,
Copyright Amazon.com, Inc. or its affiliates; see data/LICENSES.md). Usage:

    python3 scripts/gen_fas_map.py FAS_MAPS_DIR > data/fas-map.json

Each `<service>.json` lists the service's operations and, per operation, the further
operations (`Service`, `Operation`, `Context`) the service performs for the caller. Operations
without any are dropped; the rest are keyed by `<event source>:<operation>` (the CloudTrail
event), the dependent actions written as IAM actions (`kms:Decrypt`) with their `kms:ViaService`.
Output is sorted, so unchanged inputs give identical bytes.
"""
import json
import pathlib
import sys


def main(root):
    operations = {}
    for f in sorted(pathlib.Path(root).glob("*.json")):
        d = json.loads(f.read_text())
        service = d["Name"]
        for op in d.get("Operations", []):
            deps = []
            for fas in op.get("FasOperations") or []:
                deps.append({
                    "action": f'{fas["Service"]}:{fas["Operation"]}',
                    "via_service": (fas.get("Context") or {}).get("kms:ViaService", ""),
                })
            if deps:
                deps.sort(key=lambda x: x["action"])
                operations[f'{service}.amazonaws.com:{op["Name"]}'] = deps
    doc = {
        "source": "https://github.com/awslabs/iam-policy-autopilot (resources/config/operation-fas-maps, commit 8f09822b)",
        "licence": "Apache-2.0",
        "notice": "Copyright Amazon.com, Inc. or its affiliates. All Rights Reserved.",
        "operations": dict(sorted(operations.items())),
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen_fas_map.py FAS_MAPS_DIR > data/fas-map.json")
    main(sys.argv[1])
