"""Benchmark: checking an address against the do-not-contact list as the list grows, each check in a
transaction of its own (as a worker's steps and a send check it).

Every transaction that checks a suppression first makes sure no erased person's entry was made with
another key (`agent.erasure.session_key`); those entries have an index of their own. Prints, for each
size of list (made of addresses, `--erased` of them erased people), the milliseconds a check takes
(p50 / p95) and the query plan of that first look.

    .venv/bin/python bench/suppressions.py
    .venv/bin/python bench/suppressions.py --sizes 1000 100000 1000000 --erased 10000

A benchmark, not a test: nothing is asserted.

Measured on this 2-core machine, December 2026: with 100,000 suppressions a check took p50 8.15 /
p95 8.69 ms while the look for erased entries read the whole list; 0.34 / 0.43 ms with their index
(0.34 ms with 1,000 too). Then the look read every erased entry: with 10,000 erased people a check
took 7.55 ms whatever the list's size; seeking in their index (three seeks), 0.28-0.29 ms.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from agent.erasure import ERASED_OTHERWISE, SESSION_KEY, erased_value, fingerprint_source
from agent.store.db import open_store
from agent.store.tables import Suppression
from agent.suppression import is_suppressed

CHECKS = 300
KEY = b"a-benchmark-key-of-32-characters"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--erased", type=int, default=5, help="how many of them are erased people")
    args = parser.parse_args()
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="sdr-bench-suppressions-") as folder:
            store = open_store(f"sqlite:///{Path(folder) / 'sdr.db'}", {SESSION_KEY: KEY})
            rows = [{"value": f"person{n}@company{n % 5000}.example", "reason": "unsubscribe"} for n in range(size)]
            rows += [
                {
                    "value": erased_value(KEY, f"gone{n}@example.com"),
                    "reason": "erasure",
                    "source": fingerprint_source(KEY),
                }
                for n in range(args.erased)
            ]
            with store.transaction() as session:
                session.execute(insert(Suppression), rows)
            took = []
            for n in range(CHECKS):
                started = time.perf_counter()
                with store.transaction() as session:  # a new session: the key's check is made again
                    is_suppressed(session, f"new{n}@somewhere.example")
                took.append(time.perf_counter() - started)
            took.sort()
            with store.transaction() as session:
                check = ERASED_OTHERWISE.params(expected=fingerprint_source(KEY))
                sql = str(check.compile(store.engine, compile_kwargs={"literal_binds": True}))
                plan = [row[-1] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()]
            p50, p95 = took[CHECKS // 2] * 1000, took[int(CHECKS * 0.95)] * 1000
            steps = "; ".join(step for step in plan if "suppressions" in step)
            figures = f"a check p50 {p50:.2f} ms  p95 {p95:.2f} ms   plan: {steps}"
            print(f"{size:>9,} suppressions, {args.erased:,} erased: {figures}")


if __name__ == "__main__":
    main()
