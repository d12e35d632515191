"""Check the Athena/Trino forms (engines/athena/gen.py) against a real lake, with sqlglot and DuckDB.

1. Every statement of ddl/athena.sql, ddl/trino.sql and queries/*.sql parses in the Athena and
   Trino dialects of sqlglot.
2. The tables' columns and types are those of the lake's files (DuckDB reads the Parquet).
3. Every generated query runs on the lake in DuckDB (translated from Trino by sqlglot, the tables
   as DuckDB views over the same files); its rows are printed as JSON for the caller to compare
   with `trailtrim query` (tests/cli/engines.rs does).

    python engines/athena/check.py --lake LAKE [--rollup FILE_OR_DIR] [--param name=value]... > result.json
"""

import argparse
import json
import pathlib
import re
import sys

import duckdb
import sqlglot

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen  # noqa: E402

PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
DUCK_TYPES = {gen.S: {"VARCHAR"}, gen.B: {"BOOLEAN"}, gen.N: {"BIGINT", "UBIGINT"},
              gen.T: {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP", "TIMESTAMP_MS"}}


def statements(path, dialect):
    return [s for s in sqlglot.parse(path.read_text(), read=dialect) if s is not None]


def check_parse(problems):
    for path, dialects in [(gen.HERE / "ddl" / "athena.sql", ["athena"]), (gen.HERE / "ddl" / "trino.sql", ["trino"])] + [
        (q, ["athena", "trino"]) for q in sorted((gen.HERE / "queries").glob("*.sql"))
    ]:
        for d in dialects:
            try:
                n = len(statements(path, d))
                if n == 0:
                    problems.append(f"{path.name}: no statement ({d})")
            except sqlglot.errors.ParseError as e:
                problems.append(f"{path.name}: does not parse as {d}: {e}")


def check_render(problems):
    """The rendered DDL (placeholders filled) parses too, with every placeholder gone."""
    for engine in ("athena", "trino"):
        text = gen.render(engine, "s3://bucket/lake", "111111111111,222222222222", "2024-01-01")
        left = [p for p in ("LAKE_URI", "ROLLUP_URI", "ACCOUNT_IDS", "REGIONS", "FIRST_DAY") if p in text]
        if left:
            problems.append(f"render --engine {engine}: placeholders left: {left}")
        try:
            n = len([s for s in sqlglot.parse(text, read=engine) if s is not None])
            if n != len(gen.TABLES) + len(gen.VIEWS):
                problems.append(f"render --engine {engine}: {n} statements, expected {len(gen.TABLES) + len(gen.VIEWS)}")
        except sqlglot.errors.ParseError as e:
            problems.append(f"render --engine {engine}: does not parse: {e}")


def params_of(text, given):
    """The query's parameters with their defaults (from its header), overridden by `given`."""
    values = {}
    for line in text.splitlines():
        m = re.match(r"-- param: ([a-z_]+)(?: = (\S+))?", line)
        if m:
            values[m.group(1)] = m.group(2)
    values.update(given)
    return values


def fill(text, values):
    def one(m):
        v = values.get(m.group(1))
        if v is None:
            raise KeyError(m.group(1))
        return v.replace("'", "''")
    return PLACEHOLDER.sub(one, text)


def main(argv):
    ap = argparse.ArgumentParser(prog="check.py")
    ap.add_argument("--lake", required=True)
    ap.add_argument("--rollup", help="a roll-up (Parquet file or folder) to check usage_rollup against")
    ap.add_argument("--param", action="append", default=[], help="name=value for the queries")
    a = ap.parse_args(argv)
    given = dict(p.split("=", 1) for p in a.param)
    problems = []
    check_parse(problems)
    check_render(problems)

    lake = pathlib.Path(a.lake).resolve()
    db = duckdb.connect()
    hive = "hive_partitioning = true, hive_types = {'account': VARCHAR, 'region': VARCHAR, 'event_date': VARCHAR}"
    files = {
        "events": f"read_parquet('{lake}/events/*/*/*/*.parquet', {hive})",
        "usage_facts_files": f"read_parquet('{lake}/usage/*/*/*/facts-*.parquet', {hive})",
        "usage_mapping_files": f"read_parquet('{lake}/usage/*/*/*/mapping-*.parquet', {hive})",
    }
    if a.rollup:
        r = pathlib.Path(a.rollup).resolve()
        files["usage_rollup"] = f"read_parquet('{r}/*.parquet')" if r.is_dir() else f"read_parquet('{r}')"
    for name, src in files.items():
        db.execute(f"CREATE VIEW {name} AS SELECT * FROM {src}")
    for view, table, _ in gen.VIEWS:
        db.execute(f"CREATE VIEW {view} AS SELECT * FROM {table}")

    # The DDL's columns are the files' columns, in order, with matching types.
    for name, cols, folder, _ in gen.TABLES:
        if name not in files:
            continue
        actual = [(r[0], r[1]) for r in db.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()]
        expected = list(cols)
        if folder is not None:
            # DuckDB appends the partition columns in its own order: compare them as a set.
            parts = [c for c in actual if c[0] in gen.PARTITIONS]
            if sorted(c for c, _ in parts) != sorted(gen.PARTITIONS):
                problems.append(f"table {name}: the files' partitions are {parts}")
            actual = [c for c in actual if c[0] not in gen.PARTITIONS]
        if [c for c, _ in actual] != [c for c, _ in expected]:
            problems.append(f"table {name}: the DDL has columns {[c for c, _ in expected]}, the files {[c for c, _ in actual]}")
            continue
        for (c, t), (_, dt) in zip(expected, actual):
            if dt not in DUCK_TYPES[t]:
                problems.append(f"table {name}: column {c} is {t} in the DDL but {dt} in the files")

    results = {}
    for q in sorted((gen.HERE / "queries").glob("*.sql")):
        text = q.read_text()
        try:
            sql = fill(text, params_of(text, given))
        except KeyError as e:
            problems.append(f"{q.name}: no value for parameter {e.args[0]} (pass --param)")
            continue
        try:
            duck = sqlglot.transpile(sql, read="trino", write="duckdb")[0]
            # As text (DuckDB's time zone types would need pytz in Python), in the query's order.
            cur = db.execute(f"SELECT COLUMNS(*)::VARCHAR FROM ({duck})")
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
        except Exception as e:  # noqa: BLE001 - every failure is reported with its query
            problems.append(f"{q.name}: does not run on the lake in DuckDB: {e}")
            continue
        results[q.stem] = {
            "columns": cols,
            "rows": [list(row) for row in rows],
        }
    for view in ["usage_facts", "usage_mapping"] + (["usage_rollup"] if a.rollup else []):
        results["table:" + view] = {"count": db.execute(f"SELECT count(*) FROM {view}").fetchone()[0]}
    json.dump({"problems": problems, "results": results}, sys.stdout, indent=1)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
