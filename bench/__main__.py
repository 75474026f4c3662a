"""``python -m bench [--quick] [--only P1,P3] [--sizes 1k,100k,1M]``: needs PostgreSQL on
127.0.0.1:5432 (user postgres; another server with BENCH_PG=postgres://user@host:port). It
creates the database ``pec_bench`` (BENCH_DB), starts its own sandbox, builds its data, prints
one line per figure (the portal's number, the naive peer's from the same run, their ratio) and
drops what it made."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time

from . import core

FIGURES = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11")
# Run only when named (--only R8): a load test of a few minutes with its own servers.
EXTRA = ("R8",)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated figures, e.g. P1,P3 (R8, the load test: only so)",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    parser.add_argument(
        "--sizes",
        default="",
        type=sizes_arg,
        help="box counts for P3, P7, P11 and P4, e.g. 1k,100k,1M (P3, P7 and P11: each; P4: "
        "each of at least 10k, else the largest; holders: one for five boxes, at least 20,000)",
    )
    parser.add_argument("--json", default="", help="also write the rows to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the bench database a --keep run left (migrated again; P3/P7 keep its holders "
        "and boxes when their numbers match) instead of building it again",
    )
    args = parser.parse_args(argv)
    only = [f.strip().upper() for f in args.only.split(",") if f.strip()] or list(FIGURES)
    unknown = set(only) - set(FIGURES) - set(EXTRA)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")

    reason = core.pg_check()
    if reason:
        print(
            f"make bench needs PostgreSQL at {core.PG_BASE} (BENCH_PG=...): {reason}",
            file=sys.stderr,
        )
        return 2
    data_dir = core.make_data_dir()
    url = core.pg_url() if args.reuse and core.pg_exists() else core.pg_recreate()
    sandbox = core.Sandbox(evasione_seconds=1.0)
    env = core.environment(url, data_dir, sandbox.url)
    os.environ.update(env)
    core.django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    from . import cockpit, compliance, deployed, figures, latency, load

    q = args.quick
    sizes = args.sizes
    sync_sizes = [n for n in sizes if n >= 10_000] or sizes[-1:]
    print(
        f"# PEC portal bench: {platform.node()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {_pg_version()}{' (quick)' if q else ''}",
        flush=True,
    )
    print(f"# {'fig':<4} {'what':<62} | portal | naive peer | ratio", flush=True)
    rows = []
    started = time.monotonic()
    try:
        plan = {
            "P1": lambda: figures.p1(sandbox, (10, 100, 1000) if q else (10, 100, 1000, 10_000)),
            "P2": lambda: latency.p2(sandbox, env, 8 if q else 20, 20.0 if q else 60.0),
            "P3": lambda: figures.p3(
                sizes or ((1000, 10_000) if q else (1000, 10_000, 100_000)), 15 if q else 40
            ),
            "P4": lambda: figures.p4(sandbox, env, sync_sizes or [10_000 if q else 100_000]),
            "P5": lambda: figures.p5(env),
            "P6": lambda: figures.p6(sandbox, env, 50 if q else 1000),
            "P7": lambda: cockpit.p7(
                sizes or ((1_000, 10_000) if q else (10_000, 100_000)), 15 if q else 40
            ),
            "P8": lambda: deployed.p8(env, 20.0 if q else 60.0),
            "P9": lambda: figures.p9(env),
            "P10": lambda: figures.p10(env, (10_000,) if q else (10_000, 100_000)),
            "P11": lambda: compliance.p11(env, sizes or ((10_000,) if q else (100_000, 1_000_000))),
            "R8": lambda: load.r8(sandbox, env, seconds=30 if q else 120),
        }
        for fig in only:
            t0 = time.monotonic()
            for row in plan[fig]():
                rows.append(row)
                print(_line(row), flush=True)
            print(f"#      ({fig} took {time.monotonic() - t0:.0f} s)", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        sandbox.stop()
        if not args.keep:
            core.pg_drop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"# done in {time.monotonic() - started:.0f} s", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return 0


def sizes_arg(text: str) -> list[int]:
    """``1k,100k,1M`` -> [1000, 100000, 1000000] (sorted, each once)."""
    out = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        factor = {"k": 1_000, "m": 1_000_000}.get(part[-1].lower(), 1)
        number = part[:-1] if factor > 1 else part
        try:
            value = float(number.replace("_", "")) * factor
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a size: {part!r} (e.g. 1k, 100k, 1M)") from None
        if value < 1 or value != int(value):
            raise argparse.ArgumentTypeError(f"not a size: {part!r}")
        out.add(int(value))
    return sorted(out)


def _line(row) -> str:
    fig, what, portal, peer, ratio = row
    return f"{fig:<6} {what:<62} | {portal} | {peer or '-'} | {ratio or '-'}"


def _pg_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return "PostgreSQL " + cur.fetchone()[0].split()[0]


if __name__ == "__main__":
    sys.exit(main())
