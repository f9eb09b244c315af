"""Run every benchmark of this folder: ``python -m benchmarks [NAME ...] [--list]``.

Imports each ``benchmarks/bench_*.py`` module (or only those whose name contains one of
the ``NAME`` arguments) and calls its ``main()`` with no arguments. What a benchmark
prints is shown and saved in ``benchmarks/results/<module>.txt``; a dict it returns is
saved in ``benchmarks/results/<module>.json``; ``results/runs.json`` records the status
and duration of each. One failing benchmark does not stop the others; the exit status is
non-zero if any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from benchmarks import RESULTS_DIR, machine_info

HERE = Path(__file__).resolve().parent


class _Tee(io.TextIOBase):
    """Write to the terminal and keep a copy."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.stream.write(text)
        self.stream.flush()
        return self.copy.write(text)

    def flush(self) -> None:
        self.stream.flush()


def discover(names: list[str] | None = None) -> list[str]:
    """Return the module names ``bench_*`` in this folder, filtered by ``names``."""
    found = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if names:
        found = [m for m in found if any(n in m for n in names)]
    return found


def run_one(module_name: str) -> dict[str, Any]:
    """Import ``benchmarks.<module_name>``, call ``main()`` and save what it produced."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    tee = _Tee(sys.stdout)
    old_argv = sys.argv
    t0 = time.perf_counter()
    status: dict[str, Any] = {"benchmark": module_name}
    try:
        # main() may parse sys.argv: give it none of the runner's arguments
        sys.argv = [f"benchmarks.{module_name}"]
        with contextlib.redirect_stdout(tee):
            module = importlib.import_module(f"benchmarks.{module_name}")
            result = module.main()
        if isinstance(result, dict):
            (RESULTS_DIR / f"{module_name}.json").write_text(
                json.dumps({"machine": machine_info(), "results": result}, indent=2,
                           default=str) + "\n", encoding="utf-8")
            status["exit"] = 0
        else:
            status["exit"] = int(result or 0)
    except SystemExit as exc:  # a main() that calls sys.exit
        status["exit"] = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # noqa: BLE001 - report and go on with the other benchmarks
        status["exit"] = 1
        status["error"] = traceback.format_exc()
        print(status["error"], file=sys.stderr)
    finally:
        sys.argv = old_argv
    status["seconds"] = round(time.perf_counter() - t0, 1)
    (RESULTS_DIR / f"{module_name}.txt").write_text(tee.copy.getvalue(), encoding="utf-8")
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and return 0 when all of them succeeded."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="run only benchmarks whose name contains these")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    modules = discover(args.names)
    if args.list or not modules:
        print("\n".join(modules) or "no benchmark matches")
        return 0 if modules else 1
    runs = []
    for name in modules:
        print(f"=== {name}", flush=True)
        runs.append(run_one(name))
        print(f"=== {name}: exit {runs[-1]['exit']} in {runs[-1]['seconds']} s", flush=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "runs.json").write_text(
        json.dumps({"machine": machine_info(), "runs": runs}, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
