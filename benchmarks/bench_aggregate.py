"""One million points into the 169 districts of Cusco and Loreto: count_points vs sjoin.

The districts are the real ones (full resolution, from ``peru_base.gpkg`` built from the
public sources, or ``--base FILE``); the points are uniform random in the bounding box of
Cusco + Loreto (seed 0), so about a third fall inside a district. Both methods get the
same ``GeoSeries`` of points (built outside the timing) and must return the points per
district. Measured in the same run, on the same machine:

* ``geo.geography.layers.count_points`` (prepared districts, points sorted by x, ``intersects_xy``
  on the candidates in each district's bounding box, ``numpy.bincount``);
* plain ``geopandas.sjoin(points, districts, predicate="intersects")`` followed by
  ``groupby("index_right").size()``;
* the same sjoin with each point kept once (lowest ``index_right``) before the groupby,
  which is what ``count_points`` computes: the source polygons overlap slightly in a
  few places, so the plain sjoin counts the points in those slivers twice.

The ratio ``count_points / sjoin`` (best of ``--repeat`` interleaved runs each) must be
≤ 1.0 and the counts identical to the deduplicated sjoin; the script fails otherwise.

Run: ``python -m benchmarks.bench_aggregate [--points N] [--repeat R] [--base FILE]``
(or through ``python -m benchmarks``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from benchmarks import real_base, write_result

NAME = "bench_aggregate"


def _interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict, dict]:
    """Run each method once per round, ``repeat`` rounds, so a load spike on the shared
    machine hits every method alike; return the times and the last result of each."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return times, results


def _sjoin_plain(points: gpd.GeoSeries, districts: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=points), districts, predicate="intersects")
    size = joined.groupby("index_right").size()
    return size.reindex(range(len(districts)), fill_value=0).to_numpy()


def _sjoin_once(points: gpd.GeoSeries, districts: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=points), districts, predicate="intersects")
    first = joined.groupby(level=0)["index_right"].min()
    size = first.value_counts()
    return size.reindex(range(len(districts)), fill_value=0).to_numpy()


def run(base: Path | None, n_points: int, repeat: int) -> dict[str, Any]:
    """Time both methods and check their counts; return the numbers."""
    from geo.geography.base import read_districts
    from geo.geography.layers import count_points

    with tempfile.TemporaryDirectory() as tmp:
        if base is None:
            base, _ = real_base(Path(tmp))
        districts = read_districts(base, ("08", "16")).reset_index(drop=True)
    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = districts.total_bounds
    x = rng.uniform(minx, maxx, n_points)
    y = rng.uniform(miny, maxy, n_points)
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=districts.crs)

    times, out = _interleaved({
        "count_points": lambda: count_points(points, districts),
        "count_points_xy": lambda: count_points((x, y), districts),
        "sjoin_groupby": lambda: _sjoin_plain(points, districts),
        "sjoin_once_groupby": lambda: _sjoin_once(points, districts),
    }, repeat)
    fast, fast_xy, plain, once = (out[k] for k in times)
    fast_s, xy_s, plain_s, once_s = (min(t) for t in times.values())

    return {
        "n_points": n_points,
        "n_districts": len(districts),
        "n_vertices": int(districts.geometry.count_coordinates().sum()),
        "repeat": repeat,
        "points_inside": int(fast.sum()),
        "count_points_s": fast_s,
        "count_points_xy_s": xy_s,
        "sjoin_groupby_s": plain_s,
        "sjoin_once_groupby_s": once_s,
        "ratio_vs_sjoin_groupby": fast_s / plain_s,
        "ratio_vs_sjoin_once_groupby": fast_s / once_s,
        "all_times_s": times,
        "identical_to_sjoin_once": bool(np.array_equal(fast, once)),
        "identical_xy_input": bool(np.array_equal(fast, fast_xy)),
        "identical_to_plain_sjoin": bool(np.array_equal(fast, plain)),
        "plain_sjoin_extra_matches": int(plain.sum() - fast.sum()),
        "districts_differing_from_plain_sjoin": int((plain != fast).sum()),
    }


def markdown(r: dict[str, Any]) -> str:
    """Format the result as a markdown table."""
    return "\n".join([
        f"{r['n_points']:,} random points into {r['n_districts']} districts "
        f"({r['n_vertices']:,} vertices), best of {r['repeat']}:",
        "",
        "| method | seconds | ratio count_points / method |",
        "|---|---:|---:|",
        f"| `geo.geography.layers.count_points` (GeoSeries) | {r['count_points_s']:.2f} | 1.00 |",
        f"| `geo.geography.layers.count_points` ((x, y) arrays) | {r['count_points_xy_s']:.2f} | "
        f"{r['count_points_s'] / r['count_points_xy_s']:.2f} |",
        f"| `sjoin(intersects)` + `groupby().size()` | {r['sjoin_groupby_s']:.2f} | "
        f"{r['ratio_vs_sjoin_groupby']:.2f} |",
        f"| `sjoin(intersects)`, each point once, + groupby | {r['sjoin_once_groupby_s']:.2f} | "
        f"{r['ratio_vs_sjoin_once_groupby']:.2f} |",
        "",
        f"Points inside a district: {r['points_inside']:,}. Counts identical to the "
        f"deduplicated sjoin: {r['identical_to_sjoin_once']}; to the plain sjoin: "
        f"{r['identical_to_plain_sjoin']} (the plain sjoin counts "
        f"{r['plain_sjoin_extra_matches']} points twice, in slivers where source polygons "
        f"overlap; {r['districts_differing_from_plain_sjoin']} districts differ).",
    ])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, save results/bench_aggregate.json."""
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--base", type=Path, default=None,
                        help="peru_base.gpkg to reuse (default: fetch and build in a temp dir)")
    args = parser.parse_args(argv)
    result = run(args.base, args.points, args.repeat)
    print(markdown(result))
    print(f"results: {write_result(NAME, result)}")
    ok = result["ratio_vs_sjoin_groupby"] <= 1.0 and result["identical_to_sjoin_once"]
    if not ok:
        print("FAILED: ratio > 1.0 or counts differ", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
