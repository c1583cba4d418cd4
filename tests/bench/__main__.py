"""Run the benchmarks, print the table of figures and write them to ``tests/bench/results.json``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import scenario
from .figures import (
    Figure,
    machine,
    markdown_table,
    median,
    ms,
    reference_workload,
    table,
    write_results,
)
from .scenario import ROOT

RESULTS = Path(__file__).with_name("results.json")


def _suites(quick: bool) -> dict[str, Callable[[], list[Figure]]]:
    """Each suite by name, importing its module only when it runs."""

    def cold_start() -> list[Figure]:
        from . import cold_start

        return cold_start.run(pairs=4 if quick else 12)

    def big_mailbox() -> list[Figure]:
        from . import big_mailbox

        return big_mailbox.run(
            repeats=2 if quick else 3, presses=40 if quick else 100, new_mails=3 if quick else 9
        )

    def big_listing() -> list[Figure]:
        from . import big_listing

        return big_listing.run(repeats=1 if quick else 3)

    def heavy_html() -> list[Figure]:
        from . import heavy_html

        return heavy_html.run(mediums=2 if quick else 5, larges=2 if quick else 3)

    def idle() -> list[Figure]:
        from . import idle_cost

        return idle_cost.run(window=20.0 if quick else 60.0)

    def sidebar() -> list[Figure]:
        from . import sidebar

        return sidebar.run(repeats=3 if quick else 7, ticks=20 if quick else 60)

    def requests() -> list[Figure]:
        from . import request_budget

        return request_budget.run(deliveries=5 if quick else 15)

    def archive() -> list[Figure]:
        from . import archive

        return archive.run(pairs=3 if quick else 8, repeats=3 if quick else 5, migration=not quick)

    def burst() -> list[Figure]:
        from . import burst

        return burst.run(deliveries=5 if quick else 15)

    return {
        "cold_start": cold_start,
        "big_mailbox": big_mailbox,
        "big_listing": big_listing,
        "heavy_html": heavy_html,
        "idle": idle,
        "requests": requests,
        "burst": burst,
        "archive": archive,
        "sidebar": sidebar,
    }


def _run_isolated(name: str, *, quick: bool) -> list[Figure]:
    """Run one suite in its own interpreter, so no suite measures another's leftovers.

    An app measured in this process would share its heap (and so its garbage collections)
    and its imports with the suites run before it.
    """
    with tempfile.TemporaryDirectory(prefix="tempmail-bench-") as folder:
        out = Path(folder) / "figures.json"
        command = [sys.executable, "-m", "tests.bench", "--child", name, "--out", str(out)]
        subprocess.run([*command, *(["--quick"] if quick else [])], check=True, cwd=ROOT)
        loaded = json.loads(out.read_text(encoding="utf-8"))
    fields = {f.name for f in dataclasses.fields(Figure)}
    return [
        Figure(
            **{**{k: v for k, v in item.items() if k in fields}, "samples": tuple(item["samples"])}
        )
        for item in loaded
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen suites (all by default); with --strict, a missed target fails the run."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument(
        "--only", action="append", default=[], help="run only this suite (repeatable)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a rough check")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS})"
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scenario.isolate_process()
    suites = _suites(args.quick)
    if args.child:
        # One suite in a fresh interpreter: its figures go to --out for the parent.
        found = suites[args.child]()
        args.out.write_text(json.dumps([f.as_json() for f in found]), encoding="utf-8")
        return 0
    chosen = args.only or list(suites)
    unknown = [name for name in chosen if name not in suites]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(suites)}")
    figures: list[Figure] = []
    started = time.perf_counter()
    speed_before, load_before = reference_workload(), os.getloadavg()[0]
    for name in chosen:
        print(f"… {name}", file=sys.stderr, flush=True)
        began = time.perf_counter()
        figures.extend(_run_isolated(name, quick=args.quick))
        print(f"  {name} took {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    speed_after = reference_workload()
    figures.append(
        Figure(
            "machine_reference_workload_ms",
            "Machine speed: a fixed pure-Python task (lower is faster)",
            ms(median([speed_before, speed_after])),
            "ms",
            detail=(
                f"{ms(speed_before)} ms before the run, {ms(speed_after)} ms after; load average "
                f"{load_before:.2f} at the start and {os.getloadavg()[0]:.2f} at the end (the "
                "machine is shared: compare runs by this)"
            ),
        )
    )
    info = machine()
    print()
    print(
        f"tempmail-tui benchmarks, {info['date']}, {info['cores']} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {time.perf_counter() - started:.0f} s"
    )
    print(table(figures))
    if args.markdown:
        print()
        print(markdown_table(figures))
    write_results(args.out, figures, merge=bool(args.only))
    print(f"\nwritten to {args.out}")
    missed = [f.label for f in figures if f.met is False]
    if missed:
        print(f"{len(missed)} target(s) missed: see the README's Performance section.")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
