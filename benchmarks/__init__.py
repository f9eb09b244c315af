"""riskmap's benchmarks: ``python -m benchmarks`` runs every ``bench_*.py`` of this folder.

Each ``bench_*.py`` module defines ``main()`` (optionally ``main(argv)``), which prints its
own table and returns an exit status (``0`` = fine) or a dict of results. The runner
(:mod:`benchmarks.__main__`) saves what each printed in ``results/<name>.txt`` and a dict
it returned in ``results/<name>.json``. The helpers below are shared by the benchmarks.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["REPO", "RESULTS_DIR", "machine_info", "real_base", "write_result"]

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine_info() -> dict[str, Any]:
    """Describe the machine a result was measured on (numbers mean little without it)."""
    import geopandas
    import numpy
    import shapely

    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "geopandas": geopandas.__version__,
    }
    if hasattr(os, "getloadavg"):
        info["load_average_1min"] = round(os.getloadavg()[0], 2)
    return info


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` with ``data`` and the machine description."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "machine": machine_info(), "results": data}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    return path


def real_base(workdir: Path, mirror: str | Path | None = None) -> tuple[Path, dict[str, float]]:
    """Fetch the public sources and build ``peru_base.gpkg`` in ``workdir``.

    Sources come from ``mirror``, ``$RISKMAP_MIRROR`` or ``../shared/data/upstream`` (the
    verbatim copies of the pinned public files). Returns the base's path and the seconds
    spent fetching and building.
    """
    from geo.geography.base import build_base
    from geo.geography.sources import fetch_sources

    upstream = REPO.parent / "shared" / "data" / "upstream"
    mirror = mirror or os.environ.get("RISKMAP_MIRROR") or upstream
    t0 = time.perf_counter()
    sources = fetch_sources(workdir / "fuentes", mirror=mirror)
    t1 = time.perf_counter()
    base = build_base(sources, workdir / "peru_base.gpkg")
    t2 = time.perf_counter()
    return base, {"fetch_s": t1 - t0, "build_base_s": t2 - t1}
