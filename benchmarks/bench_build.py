"""Time `riskmap build` (geo.geography.build.build_districts) for 169 and 1,891 districts.

On the real base data: the public sources are fetched from ``$RISKMAP_MIRROR`` (or
``../shared/data/upstream``) and converted into ``peru_base.gpkg`` in a temporary folder
(or ``--base FILE`` is reused), then the simulated demo world is written on it
(``geo.world.demo.make_demo``, seed 0: seven sector layers, thousands of polygons and points).
Timed, best and median of ``--repeat`` interleaved runs:

* Cusco + Loreto (169 districts) and all of Peru (``region = "all"``, 1,891 districts),
* each with the seven demo layers and with no layer (reading the base and writing the
  GeoPackage only),

each a full ``build_districts`` call: read the districts at full resolution, aggregate
every layer, write ``distritos`` + ``fuentes`` atomically.

Run: ``python -m benchmarks.bench_build [--repeat R] [--base FILE]`` (or through
``python -m benchmarks``).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import real_base, write_result

NAME = "bench_build"


def run(base: Path | None, repeat: int) -> dict[str, Any]:
    """Prepare the data, time the four builds and return the numbers."""
    from geo.config import load_settings
    from geo.geography.build import build_districts
    from geo.world.demo import make_demo

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        prep: dict[str, float] = {}
        if base is None:
            base, prep = real_base(tmp)
        t0 = time.perf_counter()
        demo = make_demo(base, tmp / "demo", seed=0)
        prep["make_demo_s"] = time.perf_counter() - t0
        settings = load_settings(demo / "settings.toml")
        settings = dataclasses.replace(settings, base=Path(base))
        bare = dataclasses.replace(settings, layers=())
        cases = {
            "169_layers": (settings, None),
            "1891_layers": (settings, "all"),
            "169_no_layers": (bare, None),
            "1891_no_layers": (bare, "all"),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        sizes: dict[str, dict[str, Any]] = {}
        fuentes: list[dict[str, Any]] = []
        for _ in range(repeat):
            for name, (s, region) in cases.items():
                out = tmp / f"{name}.gpkg"
                t0 = time.perf_counter()
                gdf = build_districts(s, region=region, out=out)
                times[name].append(time.perf_counter() - t0)
                sizes[name] = {"districts": len(gdf), "layers": len(s.layers),
                               "gpkg_mb": round(out.stat().st_size / 1e6, 1)}
                if name == "169_layers":
                    fuentes = gdf.attrs.get("fuentes", [])
    return {
        "repeat": repeat,
        "layers": [layer.name for layer in settings.layers],
        "features_per_layer": {r["capa"]: r["n_elementos"] for r in fuentes},
        "preparation_s": prep,
        "cases": {
            name: {**sizes[name], "best_s": min(t), "median_s": statistics.median(t),
                   "all_s": t}
            for name, t in times.items()
        },
    }


def markdown(r: dict[str, Any]) -> str:
    """Format the result as a markdown table."""
    layers = ", ".join(f"{k} ({v:,})" for k, v in r["features_per_layer"].items())
    lines = [
        f"`build_districts`, best (median) of {r['repeat']} interleaved runs; demo layers "
        f"(features): {layers}.",
        "",
        "| districts | layers | seconds, best (median) | GeoPackage MB |",
        "|---:|---:|---:|---:|",
    ]
    for c in r["cases"].values():
        lines.append(f"| {c['districts']:,} | {c['layers']} | {c['best_s']:.2f} "
                     f"({c['median_s']:.2f}) | {c['gpkg_mb']} |")
    prep = ", ".join(f"{k} {v:.1f}" for k, v in r["preparation_s"].items())
    lines += ["", f"Preparation (not part of the build): {prep}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, save results/bench_build.json."""
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--base", type=Path, default=None,
                        help="peru_base.gpkg to reuse (default: fetch and build in a temp dir)")
    args = parser.parse_args(argv)
    result = run(args.base, args.repeat)
    print(markdown(result))
    print(f"results: {write_result(NAME, result)}")
    counts = {k: c["districts"] for k, c in result["cases"].items()}
    ok = all(n == (169 if k.startswith("169") else 1891) for k, n in counts.items())
    if not ok:
        print(f"FAILED: unexpected district counts {counts}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
