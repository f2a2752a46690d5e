#!/usr/bin/env python3
"""The analytics benchmark's baseline: every panel of the overview as DuckDB SQL over the same
Parquet files polars reads. Called by `gatehouse-bench analytics`; prints one JSON line.

    bench_duckdb.py rollups|events FROM_MS TO_MS BUCKET_MS ROUNDS FILE...

`events`: the segments' events, exact percentiles (quantile_disc), as `query::exact_overview`.
`rollups`: the segments' hourly rollups (analytics/src/rollup.rs), percentiles read from the
merged latency histograms by nearest rank, as `query::overview` does for 7 and 30 days.
"""
import json
import sys
import time

import duckdb

mode = sys.argv[1]
from_ms, to_ms, bucket, rounds = (int(a) for a in sys.argv[2:6])
files = sys.argv[6:]

# --- events -------------------------------------------------------------------------------

stats = """count(*) AS n,
  sum((outcome = 0)::BIGINT), sum((outcome = 1)::BIGINT), sum((outcome = 2)::BIGINT),
  sum((outcome = 3)::BIGINT), sum((outcome = 4)::BIGINT),
  quantile_disc(latency_ms, [0.5, 0.95, 0.99]), quantile_disc(backend_ms, [0.5, 0.95, 0.99])"""


def breakdown(keys, label, limit):
    by = ", ".join(f'"{k}"' for k in keys)
    return f"""SELECT {by}, count(*) AS n, sum((outcome <> 0)::BIGINT), quantile_disc(latency_ms, 0.95), first("{label}")
      FROM e WHERE "{keys[0]}" <> '' GROUP BY {by} ORDER BY n DESC, {by} LIMIT {limit}"""


event_queries = [
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

# --- rollups ------------------------------------------------------------------------------

ACCURACY = 0.01
GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
SMALLEST_MS = 0.001


def percentiles(rows, keys, backend, names):
    """Nearest-rank percentiles of the histograms of `rows` (a subquery) merged per `keys`."""
    b, c = ("backend_buckets", "backend_counts") if backend else ("latency_buckets", "latency_counts")
    by = ", ".join(keys)
    part = f"PARTITION BY {by}" if keys else ""
    picks = ", ".join(
        f"min(b) FILTER (WHERE cum > round({q} * (total - 1))) AS {name}" for name, q in names)
    values = ", ".join(
        f"CASE WHEN {name} = 0 THEN 0.0 ELSE {SMALLEST_MS} * 2 * pow({GAMMA}, {name}) / ({GAMMA} + 1) END AS {name}"
        for name, _ in names)
    select_keys = f"{by}, " if keys else ""
    group = f"GROUP BY {by}" if keys else ""
    return f"""(SELECT {select_keys}{values} FROM (
        SELECT {select_keys}{picks} FROM (
          SELECT {select_keys}b, sum(c) OVER ({part} ORDER BY b ROWS UNBOUNDED PRECEDING) AS cum, sum(c) OVER ({part}) AS total
          FROM (SELECT {select_keys}b, sum(c) AS c FROM (SELECT {select_keys}unnest({b}) AS b, unnest({c}) AS c FROM {rows}) GROUP BY {select_keys}b))
        {group}))"""


LATENCY = [("l50", 0.5), ("l95", 0.95), ("l99", 0.99)]
BACKEND = [("b50", 0.5), ("b95", 0.95), ("b99", 0.99)]
counts = """sum(requests) AS n, sum(success), sum(client_error), sum(server_error), sum(throttled), sum(auth_failure)"""
timeline_rows = f"(SELECT ts - (ts - {from_ms}) % {bucket} AS bucket, * FROM r WHERE kind = 0)"


def rolled_breakdown(kind, keys, label, limit):
    quoted = [f'"{k}"' for k in keys]
    by = ", ".join(quoted)
    present = "TRUE" if keys[0] == "status" else f'"{keys[0]}" <> \'\''
    rows = f"(SELECT * FROM r WHERE kind = {kind} AND {present} AND ({by}) IN (SELECT ({by}) FROM top))"
    join = " AND ".join(f"top.{k} = p.{k}" for k in quoted)
    return f"""WITH top AS (
        SELECT {by}, sum(requests) AS n, sum(errors) AS errors, first("{label}") AS label
        FROM r WHERE kind = {kind} AND {present} GROUP BY {by} ORDER BY n DESC, {by} LIMIT {limit})
      SELECT top.*, p.p95 FROM top JOIN {percentiles(rows, quoted, False, [("p95", 0.95)])} p ON {join}
      ORDER BY n DESC, {", ".join("top." + k for k in quoted)}"""


rollup_queries = [
    f"""SELECT * FROM (SELECT {counts}, sum(demo::BIGINT) FROM r WHERE kind = 0),
      {percentiles("(SELECT * FROM r WHERE kind = 0)", [], False, LATENCY)},
      {percentiles("(SELECT * FROM r WHERE kind = 0)", [], True, BACKEND)}""",
    f"""SELECT * FROM (SELECT bucket, {counts} FROM {timeline_rows} GROUP BY bucket) c
      JOIN {percentiles(timeline_rows, ["bucket"], False, LATENCY)} l USING (bucket)
      LEFT JOIN {percentiles(timeline_rows, ["bucket"], True, BACKEND)} k USING (bucket)""",
    rolled_breakdown(0, ["api_id"], "api_name", 10),
    rolled_breakdown(0, ["application_id"], "application_name", 10),
    rolled_breakdown(0, ["consumer"], "consumer", 10),
    rolled_breakdown(0, ["group", "region"], "group", 10),
    rolled_breakdown(1, ["method", "resource", "api_id"], "api_name", 20),
    rolled_breakdown(2, ["status"], "status", 50),
    """WITH subscriptions AS (SELECT * FROM r WHERE kind = 3 AND application_id <> ''),
      per_minute AS (
        SELECT application_id, api_id, tier, ts, m, sum(c) AS c FROM (
          SELECT application_id, api_id, tier, ts, unnest(minutes) AS m, unnest(minute_counts) AS c FROM subscriptions)
        GROUP BY application_id, api_id, tier, ts, m),
      peaks AS (SELECT application_id, api_id, tier, max(c) AS peak FROM per_minute GROUP BY application_id, api_id, tier)
      SELECT s.application_id, s.api_id, s.tier, p.peak, sum(requests) AS total, sum(throttled), first(application_name), first(api_name)
      FROM subscriptions s JOIN peaks p USING (application_id, api_id, tier)
      GROUP BY s.application_id, s.api_id, s.tier, p.peak ORDER BY total DESC, s.application_id, s.api_id LIMIT 20""",
]

con = duckdb.connect()
listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
view = "r" if mode == "rollups" else "e"
con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet([{listing}]) WHERE ts >= {from_ms} AND ts < {to_ms}")
queries = rollup_queries if mode == "rollups" else event_queries
runs = []
results = None
for _ in range(rounds):
    started = time.perf_counter()
    results = [con.execute(q).fetchall() for q in queries]
    runs.append(time.perf_counter() - started)
overall = results[0][0]
print(json.dumps({
    "runs": runs,
    "requests": int(overall[0] or 0),
    # p50, p95, p99 of the total latency, for the benchmark to check against polars' answer.
    "latency": [float(v) for v in (overall[6] if mode == "events" else overall[7:10])],
    "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
}))
