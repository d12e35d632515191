#!/usr/bin/env python3
"""Generate data/managed-policies.json.gz, the catalog of AWS managed policy documents.

Input: aws-managed-policies.json from iann0036/iam-dataset (MIT, Copyright (c) 2021 Ian Mckay),
shaped {arn: {name, version, updatedate, document}}. Output: {arn: {name, version, document}},
minified JSON with sorted keys, gzip with mtime=0 and no file name, so that a rerun on the same
input produces byte-identical output.

Usage: scripts/gen_managed_policies.py [INPUT] [OUTPUT]
Defaults: /work/shared/iam-data/aws-managed-policies.json -> data/managed-policies.json.gz
(relative to the repository root, i.e. the parent of this script's folder).
"""
import gzip
import io
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = "/work/shared/iam-data/aws-managed-policies.json"
DEFAULT_OUTPUT = os.path.join(REPO, "data", "managed-policies.json.gz")
ARN_PREFIXES = ("arn:aws:iam::aws:policy/",)
# Policies the product's tests and the sample corpus rely on; fail loudly if a refresh drops them.
REQUIRED = ("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess")


def convert(raw):
    out = {}
    for arn, entry in raw.items():
        if not arn.startswith(ARN_PREFIXES):
            raise SystemExit(f"unexpected managed policy ARN {arn!r}")
        doc = entry.get("document")
        if isinstance(doc, str):
            doc = json.loads(doc)
        if not isinstance(doc, dict) or "Statement" not in doc:
            raise SystemExit(f"{arn}: document is not a policy object")
        out[arn] = {"name": entry["name"], "version": entry.get("version", ""), "document": doc}
    for arn in REQUIRED:
        if arn not in out:
            raise SystemExit(f"required managed policy {arn} missing from input")
    return out


def main(argv):
    src = argv[1] if len(argv) > 1 else DEFAULT_INPUT
    dst = argv[2] if len(argv) > 2 else DEFAULT_OUTPUT
    with open(src, encoding="utf-8") as f:
        catalog = convert(json.load(f))
    text = json.dumps(catalog, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "wb") as f:
        f.write(buf.getvalue())
    print(f"wrote {dst}: {len(catalog)} policies, {len(buf.getvalue())} bytes")


if __name__ == "__main__":
    main(sys.argv)
