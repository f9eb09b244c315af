"""Dashboard speed in a real browser: riskmap's map against a naive ``st_folium`` map.

For the demo world (169 districts of Cusco and Loreto) and for all of Peru (1,891
districts, a copy of the demo settings with ``region = ["all"]``), both apps are served by
``python -m streamlit run`` and driven by headless chromium (Playwright, Debian's
``/usr/bin/chromium``). Measured, in the same run:

* **server start**: launching ``streamlit run`` -> its health check answering (riskmap's
  server draws the default maps before it takes visitors: ``dashboard.server.warm_up``);
* **first load**: page load -> every district shape drawn in the map iframe, on a server
  that has just started (median of ``--repeat`` starts);
* **load**: the same on a warm server (median of ``--repeat`` fresh browser contexts);
* **region change**: choosing another region in the "Región" widget -> the map redrawn
  with that region's districts (median of ``--repeat``);
* **payload**: bytes received over Streamlit's websocket for the page's run (the map's
  HTML/GeoJSON travels there) and the size of the map document inside the iframe.

The naive map is what a first attempt looks like: the full-resolution scores layer with
every column, read on every run, a ``folium.GeoJson`` with a tooltip, default
``st_folium(m)`` (CDN assets, every interaction returned). With no internet it never
renders (it asks cdn.jsdelivr.net for Leaflet); to time it at all, its CDN requests are
answered by Playwright from local copies with zero latency, so its numbers are a lower
bound of what an office with a slow link would see.

Run: ``python -m benchmarks.bench_dashboard [--data-dir DIR] [--repeat N] [--md FILE]``
(or through ``python -m benchmarks``). ``--data-dir`` reuses a folder prepared by
``riskmap prepare``; by default one is prepared in a temporary folder from
``$RISKMAP_MIRROR`` (or ``../shared/data/upstream``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dashboard" / "server.py"  # what `riskmap serve` runs
STATIC = REPO / "dashboard" / "static"
CHROMIUM = os.environ.get("RISKMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
REGION_LABEL = re.compile(r"^\s*(Región|Region)\s*$")
TIMEOUT_S = 90.0

NAIVE_APP = textwrap.dedent(
    '''
    """A naive risk map: full-resolution GeoJSON with every column, default st_folium."""
    import sys

    import folium
    import geopandas as gpd
    import streamlit as st
    from streamlit_folium import st_folium

    st.set_page_config(layout="wide")
    gdf = gpd.read_file(sys.argv[1], layer="riesgo")
    regions = {"Todo": None, "Cusco y Loreto": ("08", "16"), "Cusco": ("08",), "Loreto": ("16",)}
    choice = st.radio("Región", list(regions), horizontal=True)
    if regions[choice]:
        gdf = gdf[gdf["ubigeo"].str[:2].isin(regions[choice])]
    west, south, east, north = gdf.total_bounds
    m = folium.Map(tiles=None)
    m.fit_bounds([[south, west], [north, east]])
    folium.GeoJson(
        gdf,
        style_function=lambda f: {"fillColor": "#f03b20", "fillOpacity": f["properties"]["riesgo"],
                                  "color": "#555", "weight": 0.5},
        tooltip=folium.GeoJsonTooltip(fields=["distrito", "ubigeo", "riesgo"]),
    ).add_to(m)
    st_folium(m, width=1200, height=620)
    '''
)


# --------------------------------------------------------------------------------------
# data
def prepare_worlds(data_dir: Path | None) -> dict[str, Path]:
    """Settings files of the two worlds: ``"169"`` (demo) and ``"1891"`` (all of Peru)."""
    from geo.config import load_settings
    from models.pipeline import prepare
    from models.risk.score import score_districts, write_scores

    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="riskmap-bench-"))
    mirror = os.environ.get("RISKMAP_MIRROR") or str(REPO.parent / "shared" / "data" / "upstream")
    demo = prepare(data_dir=data_dir, mirror=mirror, seed=0)
    peru = demo.with_name("settings_peru.toml")
    if not peru.exists():
        text = demo.read_text(encoding="utf-8")
        text = _set_data_key(text, "region", '["all"]')
        text = _set_data_key(text, "workdir", '"peru"')
        peru.write_text(text, encoding="utf-8")
    settings = load_settings(peru)
    if not settings.scores_gpkg.exists():
        from geo.geography.build import build_districts

        settings.workdir.mkdir(parents=True, exist_ok=True)
        build_districts(settings, out=settings.districts_gpkg)
        write_scores(score_districts(settings), settings.scores_gpkg, settings)
    return {"169": demo, "1891": peru}


def _set_data_key(text: str, key: str, value: str) -> str:
    r"""Set ``key = value`` in the ``[data]`` table of a settings file's text.

    >>> _set_data_key('a = 1\n[data]\nregion = ["08"]\n[model]\nregion = 2\n', "region", "3")
    'a = 1\n[data]\nregion = 3\n[model]\nregion = 2\n'
    >>> _set_data_key('[data]\nx = 1\n', "workdir", '"w"')
    '[data]\nworkdir = "w"\nx = 1\n'
    """
    lines = text.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "[data]")
    except StopIteration:
        return f"[data]\n{key} = {value}\n" + text
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
               len(lines))
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start + 1, end):
        if pattern.match(lines[i]):
            lines[i] = f"{key} = {value}\n"
            return "".join(lines)
    lines.insert(start + 1, f"{key} = {value}\n")
    return "".join(lines)


# --------------------------------------------------------------------------------------
# serving
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: seconds from launching each served app (by URL) to its health check answering
STARTS: dict[str, float] = {}


@contextlib.contextmanager
def serve(script: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve ``script`` headless on a free port (static serving on); yield the base URL."""
    port = _free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.enableStaticServing", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
    ]
    if args:
        cmd += ["--", *args]
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **env}, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited; see {log.name}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        STARTS[url] = time.monotonic() - started
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy; see {log.name}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


# --------------------------------------------------------------------------------------
# measuring
@dataclass
class Visit:
    """One fresh browser context on an app, with its byte counters."""

    page: object
    context: object
    base: str
    ws_bytes: int = 0
    foreign: list = field(default_factory=list)

    def close(self) -> None:
        self.context.close()


def _open_context(browser, base: str, fake_cdn: bool) -> Visit:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    visit = Visit(page=None, context=context, base=base)
    port = urlsplit(base).port

    def route(route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https") and not (
            parts.hostname in ("127.0.0.1", "localhost") and parts.port == port
        ):
            visit.foreign.append(route.request.url)
            if not fake_cdn:
                route.abort("blockedbyclient")
                return
            name = parts.path.rsplit("/", 1)[-1]
            local = next(STATIC.rglob(name), None) if name else None
            body = local.read_bytes() if local else b""
            kind = "text/css" if name.endswith(".css") else "application/javascript"
            route.fulfill(status=200, body=body, content_type=kind)
            return
        route.continue_()

    context.route("**/*", route)
    page = context.new_page()

    def on_ws(ws) -> None:
        def count(payload) -> None:
            visit.ws_bytes += len(payload)

        ws.on("framereceived", count)

    page.on("websocket", on_ws)
    visit.page = page
    return visit


def _frame(page):
    return page.frame_locator("iframe[title='streamlit_folium.st_folium']").first


def _shape_count(page) -> int:
    try:
        return _frame(page).locator("path.leaflet-interactive").count()
    except Exception:  # noqa: BLE001 - the iframe is being replaced
        return 0


def _wait_shapes(page, at_least: int, t0: float) -> tuple[float, int]:
    """Seconds from ``t0`` until the map shows ``at_least`` shapes, and the count shown.

    If the app settles (script idle, count unchanged for 2 s) on fewer shapes, that time
    and count are returned: the table then shows how many districts were really drawn.
    """
    deadline = time.monotonic() + TIMEOUT_S
    last, seen_at = -1, time.perf_counter()
    idle = page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")
    while time.monotonic() < deadline:
        count = _shape_count(page)
        if count >= at_least:
            return time.perf_counter() - t0, count
        if count != last:
            last, seen_at = count, time.perf_counter()
        elif count > 0 and time.perf_counter() - seen_at > 2 and idle.count():
            return seen_at - t0, count
        page.wait_for_timeout(40)
    raise TimeoutError(f"map never showed {at_least} shapes (last: {_shape_count(page)})")


def _wait_idle(page) -> None:
    page.wait_for_timeout(150)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        timeout=TIMEOUT_S * 1000, state="attached")


def _map_doc_bytes(page) -> int:
    try:
        return int(_frame(page).locator("html").evaluate(
            "(el) => new Blob([el.outerHTML]).size"))
    except Exception:  # noqa: BLE001
        return 0


def _choose(page, option: str) -> None:
    """Pick ``option`` in the widget labelled "Región": a radio, or a select box (many regions)."""
    group = page.get_by_role("radiogroup", name="Región")
    if group.count():
        group.get_by_text(option, exact=True).click()
        return
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(REGION_LABEL)).first
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).first.click()


@dataclass
class Result:
    app: str
    world: str
    shapes: int  # district shapes drawn on load
    first_load_s: float
    load_s: float
    region_s: float
    ws_bytes: int
    region_ws_bytes: int
    map_doc_bytes: int
    foreign_requests: int
    start_s: float = float("nan")  # server start -> /_stcore/health answers


def measure_app(browser, base: str, name: str, world: str, n_all: int,
                region_option: str, n_region: int, repeat: int, fake_cdn: bool) -> Result:
    """Cold first load, then ``repeat`` warm loads and region changes."""
    loads, changes, ws, ws_region, doc, foreign = [], [], [], [], 0, 0
    first, shown = None, 0
    for i in range(repeat + 1):
        visit = _open_context(browser, base, fake_cdn)
        page = visit.page
        try:
            t0 = time.perf_counter()
            page.goto(base, wait_until="commit")
            elapsed, shown = _wait_shapes(page, n_all, t0)
            _wait_idle(page)
            if i == 0:
                first = elapsed
                doc = _map_doc_bytes(page)
                foreign = len(set(visit.foreign))
            else:
                loads.append(elapsed)
                ws.append(visit.ws_bytes)
                before = visit.ws_bytes
                t1 = time.perf_counter()
                _choose(page, region_option)
                changes.append(_wait_region(page, n_region, shown, t1))
                _wait_idle(page)
                ws_region.append(visit.ws_bytes - before)
        finally:
            visit.close()
    return Result(name, world, shown, first, statistics.median(loads),
                  statistics.median(changes), int(statistics.median(ws)),
                  int(statistics.median(ws_region)), doc, foreign, STARTS.get(base, float("nan")))


def _wait_region(page, n_region: int, n_before: int, t0: float) -> float:
    """Seconds until the map shows the new region: shape count left the old one and settled."""
    deadline = time.monotonic() + TIMEOUT_S
    seen_at, last = None, -1
    while time.monotonic() < deadline:
        count = _shape_count(page)
        if count != last:
            last, seen_at = count, time.perf_counter()
        if n_region <= count < n_before and time.perf_counter() - seen_at > 0.5:
            return seen_at - t0
        page.wait_for_timeout(40)
    raise TimeoutError(f"map never redrawn for the region (last count {last})")


# --------------------------------------------------------------------------------------
def run(data_dir: Path | None, repeat: int) -> list[Result]:
    """Measure both apps on both worlds; return the results."""
    import pyogrio
    from playwright.sync_api import sync_playwright

    from geo.config import load_settings

    worlds = prepare_worlds(data_dir)
    results: list[Result] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for world, settings_path in worlds.items():
                settings = load_settings(settings_path)
                ubigeos = pyogrio.read_dataframe(settings.scores_gpkg, layer="riesgo",
                                                 read_geometry=False, columns=["ubigeo"])["ubigeo"]
                n_all = len(ubigeos)
                n_cusco = int(ubigeos.astype(str).str[:2].eq("08").sum())
                env = {"RISKMAP_DATA_DIR": str(settings_path.parent.parent),
                       "RISKMAP_CONFIG": str(settings_path)}
                with serve(APP, env) as base:
                    ours = measure_app(browser, base, "riskmap", world, n_all, "Cusco",
                                       n_cusco, repeat, fake_cdn=False)
                results.append(_restarts(ours, browser, APP, env, (), n_all, repeat, False))
                with tempfile.TemporaryDirectory() as tmp:
                    script = Path(tmp) / "naive_app.py"
                    script.write_text(NAIVE_APP, encoding="utf-8")
                    args = (str(settings.scores_gpkg),)
                    with serve(script, {}, args) as base:
                        naive = measure_app(browser, base, "naive", world, n_all, "Cusco",
                                            n_cusco, repeat, fake_cdn=True)
                    results.append(_restarts(naive, browser, script, {}, args, n_all, repeat,
                                             True))
        finally:
            browser.close()
    return results


def _restarts(result: Result, browser, script: Path, env: dict[str, str], args: tuple,
              n_all: int, repeat: int, fake_cdn: bool) -> Result:
    """``result`` with its server start and first load the medians of ``repeat`` restarts.

    One first load is one sample of a noisy quantity (the browser, the disk cache): its
    server is started again ``repeat - 1`` times, each time for one first visit.
    """
    firsts, starts = [result.first_load_s], [result.start_s]
    for _ in range(repeat - 1):
        with serve(script, env, args) as base:
            visit = _open_context(browser, base, fake_cdn)
            try:
                t0 = time.perf_counter()
                visit.page.goto(base, wait_until="commit")
                firsts.append(_wait_shapes(visit.page, n_all, t0)[0])
                _wait_idle(visit.page)
            finally:
                visit.close()
            starts.append(STARTS[base])
    return dataclasses.replace(result, first_load_s=statistics.median(firsts),
                               start_s=statistics.median(starts))


def markdown(results: list[Result], repeat: int) -> str:
    """The results as a markdown table, riskmap and naive side by side per world."""
    rows = [
        "| districts | map | shapes drawn | server start (s) | first load (s) | load (s) | "
        "region change (s) | websocket bytes (load) | websocket bytes (region change) | "
        "map document bytes | requests to other hosts |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {int(r.world):,} | {r.app} | {r.shapes:,} | {r.start_s:.1f} | "
            f"{r.first_load_s:.2f} | "
            f"{r.load_s:.2f} | "
            f"{r.region_s:.2f} | {r.ws_bytes:,} | {r.region_ws_bytes:,} | "
            f"{r.map_doc_bytes:,} | {r.foreign_requests} |"
        )
    machine = f"{platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}"
    return "\n".join(rows) + (f"\n\nMedian of {repeat} warm runs (first load and server "
                               f"start: of {repeat} starts); Python {machine}.\n")


def main(argv: list[str] | None = None) -> int:
    """Run the dashboard benchmark and print (or write) the markdown table."""
    parser = argparse.ArgumentParser(prog="bench_dashboard", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="a data folder already prepared by `riskmap prepare` (reused)")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per measurement")
    parser.add_argument("--md", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"chromium not found at {CHROMIUM}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results = run(args.data_dir, args.repeat)
    table = markdown(results, args.repeat)
    print(table)
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.md:
        args.md.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
