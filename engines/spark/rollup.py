"""Organisation-wide usage roll-up of a trailtrim lake, on Apache Spark.

Reads the per-partition usage facts that trailtrim's writers store under
LAKE/usage/account=A/region=R/event_date=D/facts-<tag>.parquet (a local folder, or s3a://bucket/prefix
on EMR, Glue or Databricks) and writes the facts summed over days, one row per (account, region,
principal, principal_type, actor, action, resource, via_service), in the schema
`trailtrim usage --write-rollup` writes and `trailtrim usage|recommend|report --facts PATH` reads.

The rules are those of src/usage/rollup.rs, exactly: counts summed; first/last seen min/max;
error_codes, source_ips, passed_to_service the sorted union of the days' values; the days'
sample_event_ids in date order, the first three kept. A CLI test (tests/cli/engines.rs) checks
that both give the same rows on the sample lake.

Facts are only as fresh as the lake's state: the job refuses to run (exit 1, naming the
partitions) when a partition's events changed since its facts were stored; run
`trailtrim refresh --lake LAKE --partition P` (the per-partition workers do) first.

    spark-submit engines/spark/rollup.py --lake s3a://bucket/lake --out s3a://bucket/rollups/2026-12-01
    python engines/spark/rollup.py --lake lake --out rollup --master 'local[2]'
"""

import argparse
import hashlib
import pathlib
import sys

KEY = ["account", "region", "principal", "principal_type", "actor", "action", "resource", "via_service"]
FACT_STRING_COLUMNS = [
    "principal", "principal_type", "actor", "action", "resource", "via_service",
    "error_codes", "source_ips", "passed_to_service", "sample_event_ids",
]
# The roll-up's columns, in order: the facts' columns, then the partition columns kept.
OUT_COLUMNS = FACT_STRING_COLUMNS + ["count", "denied_count", "first_seen", "last_seen", "account", "region"]
SAMPLES = 3


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="rollup.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", required=True, help="the trailtrim lake: a folder or s3a://bucket/prefix")
    ap.add_argument("--out", required=True, help="where to write the roll-up (a Parquet folder, replaced)")
    ap.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="first day (UTC, inclusive)")
    ap.add_argument("--to", metavar="YYYY-MM-DD", help="last day (UTC, inclusive)")
    ap.add_argument("--accounts", help="only these accounts (comma-separated 12-digit ids)")
    ap.add_argument("--files", type=int, default=1, help="number of Parquet files to write (default 1)")
    ap.add_argument("--master", help="Spark master when not run by spark-submit (e.g. local[2])")
    a = ap.parse_args(argv)
    for name, d in (("--from", a.from_), ("--to", a.to)):
        if d is not None and not (len(d) == 10 and d[4] == "-" and d[7] == "-" and d.replace("-", "").isdigit()):
            ap.error(f"{name} {d}: not a YYYY-MM-DD day")
    if a.accounts is not None:
        a.accounts = [x for x in a.accounts.split(",") if x]
        bad = [x for x in a.accounts if not (len(x) == 12 and x.isdigit())]
        if bad:
            ap.error(f"--accounts: {', '.join(bad)} is not a 12-digit account id")
    if a.files < 1:
        ap.error("--files must be at least 1")
    return a


class Refused(Exception):
    """The lake cannot be rolled up as it is (the message says why and what to do)."""


def in_window(rel, a):
    """Whether the partition `account=A/region=R/event_date=D` is selected by the options."""
    parts = dict(p.split("=", 1) for p in rel.split("/") if "=" in p)
    if a.accounts is not None and parts.get("account") not in a.accounts:
        return False
    d = parts.get("event_date", "")
    return (a.from_ is None or d >= a.from_) and (a.to is None or d <= a.to)


class LocalFiles:
    """A lake in a local folder (read without starting Spark, so a refusal is immediate)."""

    def __init__(self, root):
        self.root = pathlib.Path(root)

    def files(self, folder):
        """(path relative to `folder`, size) of every file under it."""
        base = self.root / folder
        if not base.is_dir():
            return None
        return [(str(f.relative_to(base)), f.stat().st_size) for f in base.rglob("*") if f.is_file()]

    def read(self, path):
        f = self.root / path
        return f.read_bytes() if f.is_file() else None


class HadoopFiles:
    """A lake on any file system Hadoop reads (s3a://, hdfs://, ...), through Spark's JVM."""

    def __init__(self, spark, root):
        self.jvm = spark.sparkContext._jvm
        self.Path = self.jvm.org.apache.hadoop.fs.Path
        self.root = root
        self.fs = self.Path(root).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def files(self, folder):
        base = self.fs.makeQualified(self.Path(f"{self.root}/{folder}"))
        if not self.fs.exists(base):
            return None
        prefix = base.toString().rstrip("/") + "/"
        out = []
        it = self.fs.listFiles(base, True)
        while it.hasNext():
            st = it.next()
            out.append((st.getPath().toString()[len(prefix):], st.getLen()))
        return out

    def read(self, path):
        p = self.Path(f"{self.root}/{path}")
        if not self.fs.exists(p):
            return None
        stream = self.fs.open(p)
        try:
            buf = self.jvm.java.io.ByteArrayOutputStream()
            self.jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, buf, 1 << 16, False)
            return bytes(buf.toByteArray())
        finally:
            stream.close()


def is_local(lake):
    return "://" not in lake or lake.startswith("file://")


def files_digest(files):
    """The `<files>` part of a partition's state tag (src/usage/facts.rs `state_tag`): the MD5 of
    one line `name\\x1fsize\\n` per event file, sorted."""
    lines = sorted(f"{name}\x1f{size}" for name, size in files)
    return hashlib.md5("".join(f"{line}\n" for line in lines).encode("utf-8")).hexdigest()


def check_state(store, a):
    """Refuse a lake whose stored facts do not match its events (missing or stale partitions),
    as trailtrim's readers do: a partition's facts file is `facts-<code>-<files>.parquet`, where
    `<files>` digests the partition's event files with their sizes. Facts of one partition made
    by two trailtrim versions are refused too. Returns {partition: facts file name}."""
    listing = store.files("events")
    if listing is None:
        raise Refused(f"{a.lake}: not a trailtrim lake (no events/ folder)")
    events = {}
    for rel, size in listing:
        folder, _, name = rel.rpartition("/")
        if name.endswith(".parquet") and not name.startswith((".", "_")):
            events.setdefault(folder, []).append((name, size))
    # partition -> {files digest: (code, facts file name)}
    stored = {}
    for rel, _ in store.files("usage") or []:
        folder, _, name = rel.rpartition("/")
        if name.startswith("facts-") and name.endswith(".parquet"):
            code, _, files = name[len("facts-"):-len(".parquet")].partition("-")
            stored.setdefault(folder, {})[files] = (code, name)
    wanted = sorted(rel for rel in events if in_window(rel, a))
    chosen, stale = {}, []
    for rel in wanted:
        hit = stored.get(rel, {}).get(files_digest(events[rel]))
        if hit is None:
            stale.append(rel)
        else:
            chosen[rel] = hit
    if stale:
        shown = "\n".join(f"  trailtrim refresh --lake {a.lake} --partition {rel}" for rel in stale[:10])
        more = f"\n  ... and {len(stale) - 10} more" if len(stale) > 10 else ""
        raise Refused(
            f"the stored usage facts of {len(stale)} of {len(wanted)} partitions are missing or older than "
            f"their events; store them first (`trailtrim refresh --lake {a.lake}` does all):\n{shown}{more}"
        )
    if not wanted:
        raise Refused(f"{a.lake}: no partition with events in the window")
    codes = sorted({code for code, _ in chosen.values()})
    if len(codes) > 1:
        raise Refused(
            f"the stored facts were made by {len(codes)} trailtrim versions (codes {', '.join(codes)}); "
            f"run `trailtrim refresh --lake {a.lake}` with one version first"
        )
    return {rel: name for rel, (_, name) in chosen.items()}


def rollup(spark, a, partitions):
    from pyspark.sql import functions as F

    usage = a.lake.rstrip("/") + "/usage"
    # Partition pruning by path: only the selected partitions' files are read.
    paths = [f"{usage}/{rel}/{name}" for rel, name in sorted(partitions.items())]
    facts = spark.read.option("basePath", usage).parquet(*paths)

    def union(c):
        parts = F.flatten(F.collect_list(F.split(F.col(c), ",")))
        return F.array_join(F.array_sort(F.array_distinct(F.filter(parts, lambda x: x != ""))), ",").alias(c)

    # Days do not overlap, so the first samples of the earliest days are the earliest samples.
    days = F.array_sort(F.collect_list(F.struct(F.col("event_date"), F.split("sample_event_ids", ",").alias("ids"))))
    samples = F.slice(F.filter(F.flatten(F.transform(days, lambda d: d["ids"])), lambda x: x != ""), 1, SAMPLES)
    out = (
        facts.groupBy(*KEY)
        .agg(
            # Stored counts are unsigned 64-bit integers, which Spark reads as decimal(20,0).
            F.sum("count").cast("long").alias("count"),
            F.sum("denied_count").cast("long").alias("denied_count"),
            F.min("first_seen").alias("first_seen"),
            F.max("last_seen").alias("last_seen"),
            union("error_codes"),
            union("source_ips"),
            union("passed_to_service"),
            F.array_join(samples, ",").alias("sample_event_ids"),
        )
        .select(*OUT_COLUMNS)
        .orderBy(*KEY)
    )
    out.coalesce(a.files).write.mode("overwrite").parquet(a.out)
    return spark.read.parquet(a.out).count()


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    a.lake = a.lake.rstrip("/")
    try:
        # A local lake is checked before Spark starts; another is read through Spark's file systems.
        partitions = check_state(LocalFiles(a.lake.removeprefix("file://")), a) if is_local(a.lake) else None
    except Refused as e:
        print(f"rollup.py: {e}", file=sys.stderr)
        return 1
    from pyspark.sql import SparkSession

    b = SparkSession.builder.appName("trailtrim-rollup")
    if a.master:
        b = b.master(a.master)
    spark = (
        b.config("spark.sql.session.timeZone", "UTC")
        # Account ids and dates stay strings (inference would read 012345678901 as a number).
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        # The facts' time unit; Spark's default (INT96) is not what trailtrim writes.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # List the selected partitions on the driver: a distributed listing job per run costs
        # more than it saves below tens of thousands of partitions.
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
        .getOrCreate()
    )
    try:
        if partitions is None:
            partitions = check_state(HadoopFiles(spark, a.lake), a)
        rows = rollup(spark, a, partitions)
    except Refused as e:
        print(f"rollup.py: {e}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(f"rollup.py: wrote {rows} rows to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
