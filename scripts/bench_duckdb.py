#!/usr/bin/env python3
"""The analytics benchmark's baseline: every panel of the overview as DuckDB SQL over the same
Parquet segments polars reads. Called by `gatehouse-bench analytics`; prints one JSON line.

    bench_duckdb.py FROM_MS TO_MS BUCKET_MS ROUNDS FILE...
"""
import json
import sys
import time

import duckdb

from_ms, to_ms, bucket, rounds = (int(a) for a in sys.argv[1:5])
files = sys.argv[5:]

stats = """count(*) AS n,
  sum((outcome = 0)::BIGINT), sum((outcome = 1)::BIGINT), sum((outcome = 2)::BIGINT),
  sum((outcome = 3)::BIGINT), sum((outcome = 4)::BIGINT),
  quantile_disc(latency_ms, [0.5, 0.95, 0.99]), quantile_disc(backend_ms, [0.5, 0.95, 0.99])"""


def breakdown(keys, label, limit):
    by = ", ".join(f'"{k}"' for k in keys)
    return f"""SELECT {by}, count(*) AS n, sum((outcome <> 0)::BIGINT), quantile_disc(latency_ms, 0.95), first("{label}")
      FROM e WHERE "{keys[0]}" <> '' GROUP BY {by} ORDER BY n DESC, "{keys[0]}" LIMIT {limit}"""


queries = [
    f"SELECT {stats}, sum(demo::BIGINT) FROM e",
    f"SELECT ts - (ts - {from_ms}) % {bucket} AS bucket, {stats} FROM e GROUP BY bucket",
    breakdown(["api_id"], "api_name", 10),
    breakdown(["application_id"], "application_name", 10),
    breakdown(["consumer"], "consumer", 10),
    breakdown(["group", "region"], "group", 10),
    breakdown(["method", "resource", "api_id"], "api_name", 20),
    f"""SELECT status, count(*) AS n, sum((outcome <> 0)::BIGINT), quantile_disc(latency_ms, 0.95)
      FROM e GROUP BY status ORDER BY n DESC, status LIMIT 50""",
    """WITH m AS (
        SELECT application_id, api_id, tier, ts - ts % 60000 AS minute, count(*) AS n,
               sum((outcome = 3)::BIGINT) AS throttled, first(application_name) AS an, first(api_name) AS pn
        FROM e WHERE application_id <> '' GROUP BY application_id, api_id, tier, minute)
      SELECT application_id, api_id, tier, max(n), sum(n) AS total, sum(throttled), first(an), first(pn)
      FROM m GROUP BY application_id, api_id, tier ORDER BY total DESC, application_id, api_id LIMIT 20""",
]

con = duckdb.connect()
listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
con.execute(f"CREATE VIEW e AS SELECT * FROM read_parquet([{listing}]) WHERE ts >= {from_ms} AND ts < {to_ms}")
runs = []
requests = None
for _ in range(rounds):
    started = time.perf_counter()
    results = [con.execute(q).fetchall() for q in queries]
    runs.append(time.perf_counter() - started)
    requests = results[0][0][0]
print(json.dumps({"runs": runs, "requests": requests, "threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}))
