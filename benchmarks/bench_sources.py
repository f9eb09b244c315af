"""The real sources at their real size: 20 M alert points and a 30 m raster of Cusco + Loreto.

Measured in one run on one machine, each case in a fresh child process whose **peak resident
memory** (its ``VmHWM``; on a cluster also each worker's) and wall time are recorded:

* **points**: 20 million points in a GeoParquet file (1 M-row groups, WKB, EPSG:4326;
  uniform in the bounding box of Cusco + Loreto, or of Peru) counted into the 169 districts
  of Cusco and Loreto and into all 1,891 with :func:`geo.geography.chunks.count_point_file` — alone,
  and on a 2-worker ``LocalCluster``. Target: peak RSS ≤ 1.5 GB. Counts are checked equal.
* **raster**: a 30 m (0.00026949°) class raster covering Cusco and Loreto (~1.7 G pixels,
  uint8, tiled and deflate-compressed, written block by block), ``raster_share`` of class
  30 into the 169 districts with
  :func:`geo.geography.rasters.raster_measure` (exactextract, windows)
  against the naive loop a first attempt would write — ``rasterio.mask`` of each district,
  then the share of class-30 pixels — and the same measure on a 2-worker ``LocalCluster``.
  Shares are checked to agree within 0.01.

Run: ``python -m benchmarks.bench_sources [--points N] [--skip-points] [--skip-raster]
[--workdir DIR]``.
Generated files go to ``--workdir`` (default: a temporary folder, removed afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import REPO, real_base, write_result

NAME = "bench_sources"
PIXEL = 0.00026949458523585647


def make_points(path: Path, n: int, bounds: tuple[float, float, float, float]) -> None:
    """Write ``n`` random points as GeoParquet in 1 M-row groups (never all in memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    meta = {"version": "1.0.0", "primary_column": "geometry",
            "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}}}
    schema = pa.schema([("geometry", pa.binary()), ("confianza", pa.int8())],
                       metadata={b"geo": json.dumps(meta).encode()})
    rng = np.random.default_rng(0)
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n, 1_000_000):
            m = min(1_000_000, n - start)
            pts = shapely.points(rng.uniform(bounds[0], bounds[2], m),
                                 rng.uniform(bounds[1], bounds[3], m))
            writer.write_table(pa.table({"geometry": shapely.to_wkb(pts),
                                         "confianza": rng.integers(2, 4, m).astype("int8")},
                                        schema=schema))


def make_raster(path: Path, bounds: tuple[float, float, float, float]) -> tuple[int, int]:
    """Write a 30 m class raster over ``bounds``, 4096-row strips at a time."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    cols = int(np.ceil((bounds[2] - bounds[0]) / PIXEL))
    rows = int(np.ceil((bounds[3] - bounds[1]) / PIXEL))
    profile = {"driver": "GTiff", "width": cols, "height": rows, "count": 1, "dtype": "uint8",
               "crs": "EPSG:4326", "transform": from_origin(bounds[0], bounds[3], PIXEL, PIXEL),
               "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate",
               "BIGTIFF": "YES", "nodata": 0}
    xs = np.arange(cols)
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, rows, 4096):
            h = min(4096, rows - top)
            ys = np.arange(top, top + h)[:, None]
            # forest (3) with bands of mining (30) and farms (18): a pattern that compresses
            block = np.where(((xs[None, :] // 700 + ys // 900) % 7) == 0, 30,
                             np.where(((xs[None, :] // 400) % 5) == 0, 18, 3)).astype("uint8")
            dst.write(block, 1, window=Window(0, top, cols, h))
    return rows, cols


CHILD = """\
import json, sys, time
sys.path.insert(0, {repo!r})
from geo.geography.base import read_districts
districts = read_districts({base!r}, {region!r})
client = cluster = None
if {workers}:
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers={workers}, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
t0 = time.perf_counter()
{body}
seconds = time.perf_counter() - t0

def peak_mb():
    # this process's own high-water mark (VmHWM): ru_maxrss would include the parent's
    # resident memory at fork time
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

workers_mb = 0.0
if client is not None:
    workers_mb = max(client.run(peak_mb).values())
    client.close(); cluster.close()
print(json.dumps({{"seconds": seconds, "values": values, "peak_rss_mb": peak_mb(),
                  "worker_peak_rss_mb": workers_mb}}))
"""

POINTS_BODY = """from geo.geography.chunks import count_point_file
values = count_point_file({data!r}, districts, client=client).counts.tolist()"""
RASTER_BODY = """from geo.geography.rasters import raster_measure
values = raster_measure({data!r}, districts, "raster_share", classes=(30,),
                        client=client).tolist()"""
NAIVE_BODY = """import numpy as np, rasterio, rasterio.mask
values = []
with rasterio.open({data!r}) as ds:
    for geom in districts.to_crs(ds.crs).geometry:
        arr, _ = rasterio.mask.mask(ds, [geom], crop=True, filled=True, nodata=255)
        inside = arr[0] != 255
        values.append(float((arr[0][inside] == 30).mean()) if inside.any() else 0.0)"""


def run_child(base: Path, region: tuple, data: Path, body: str, workers: int = 0) -> dict:
    """Run one case in a fresh process; its seconds, peak RSS (MB, the tree's) and values."""
    code = CHILD.format(repo=str(REPO), base=str(base), region=region, workers=workers,
                        body=body.format(data=str(data)))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, _ = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(err.decode("utf-8", "replace")[-2000:])
    return json.loads(out.decode().strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000_000)
    parser.add_argument("--skip-raster", action="store_true")
    parser.add_argument("--skip-points", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    tmp = tempfile.TemporaryDirectory(prefix="riskmap-bench-sources-")
    work = args.workdir or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    base, _ = real_base(work)
    from geo.geography.base import read_districts

    cl = read_districts(base, ("08", "16"))
    peru = read_districts(base, ())
    results: dict = {"points": args.points}
    rows = []
    for label, region, bounds in (("169", ("08", "16"), tuple(cl.total_bounds)),
                                  ("1891", (), tuple(peru.total_bounds))):
        if args.skip_points:
            break
        data = work / f"alertas_{label}.parquet"
        t0 = time.perf_counter()
        make_points(data, args.points, bounds)
        made = time.perf_counter() - t0
        alone = run_child(base, region, data, POINTS_BODY)
        cluster = run_child(base, region, data, POINTS_BODY, workers=2)
        assert alone["values"] == cluster["values"], "cluster counts differ"
        results[f"points_{label}"] = {"write_s": made, "alone": alone | {"values": None},
                                      "cluster2": cluster | {"values": None},
                                      "counted": int(sum(alone["values"]))}
        rows.append(f"| {args.points:,} points into {label} districts | "
                    f"{alone['seconds']:.1f} s, peak {alone['peak_rss_mb']:.0f} MB | "
                    f"2-worker LocalCluster {cluster['seconds']:.1f} s, peak "
                    f"{cluster['peak_rss_mb']:.0f} MB + workers' "
                    f"{cluster['worker_peak_rss_mb']:.0f} MB each | {int(sum(alone['values'])):,} "
                    "inside |")
        data.unlink()
    if not args.skip_raster:
        tif = work / "clases_30m.tif"
        t0 = time.perf_counter()
        shape = make_raster(tif, tuple(cl.total_bounds))
        made = time.perf_counter() - t0
        ours = run_child(base, ("08", "16"), tif, RASTER_BODY)
        naive = run_child(base, ("08", "16"), tif, NAIVE_BODY)
        cluster = run_child(base, ("08", "16"), tif, RASTER_BODY, workers=2)
        gap = float(np.max(np.abs(np.array(ours["values"]) - np.array(naive["values"]))))
        assert gap < 0.01, f"exactextract and the naive loop disagree by {gap}"
        assert np.allclose(ours["values"], cluster["values"])
        results["raster"] = {"rows": shape[0], "cols": shape[1], "write_s": made,
                             "size_mb": tif.stat().st_size / 1e6,
                             "exactextract": ours | {"values": None},
                             "naive_mask_loop": naive | {"values": None},
                             "cluster2": cluster | {"values": None}, "max_gap": gap}
        rows.append(f"| 30 m raster {shape[0]:,} x {shape[1]:,} px into 169 districts | "
                    f"exactextract {ours['seconds']:.0f} s, peak {ours['peak_rss_mb']:.0f} MB;"
                    f" naive rasterio.mask loop {naive['seconds']:.0f} s, peak "
                    f"{naive['peak_rss_mb']:.0f} MB (ratio "
                    f"{ours['seconds'] / naive['seconds']:.2f}) | 2-worker LocalCluster "
                    f"{cluster['seconds']:.0f} s | shares agree within {gap:.4f} |")
    print("| case | alone | on a cluster | check |\n|---|---|---|---|")
    print("\n".join(rows))
    write_result(NAME, results)
    tmp.cleanup()
    return results


if __name__ == "__main__":
    main()
