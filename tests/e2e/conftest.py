"""Browser-test harness: the real dashboard, served once per module, driven by Debian's chromium.

What it does (after streamlit-folium's ``tests/test_frontend.py`` and Streamlit's own
``e2e_playwright/conftest.py``):

* ``e2e_data`` (session) prepares one data folder with ``models.pipeline.prepare`` from the
  upstream copies in ``../shared/data/upstream`` (no network): base -> demo -> build -> score
  -> evaluate.
* ``app_url`` (module) starts ``python -m streamlit run dashboard/server.py`` on a free port with
  ``RISKMAP_DATA_DIR`` / ``RISKMAP_CONFIG`` pointing at that folder, waits for
  ``/_stcore/health`` and stops the server at the end of the module.
* ``app`` (function) opens a fresh browser context on the app. Every request of every frame is
  routed through :class:`NetworkGuard`: a request to any host other than the app's own is
  aborted and FAILS the test, and so does any failed request or HTTP error — that is how the
  suite proves the map works in an office with no internet.
* On failure a full-page screenshot goes to ``test-results/`` (gitignored).

Chromium is ``/usr/bin/chromium`` (``$RISKMAP_CHROMIUM`` overrides). When it is absent the tests
skip, except under ``CI=true`` where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "server.py"  # what `riskmap serve` runs: st.App around app.py
RESULTS = REPO / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Generous: two cores are shared by the whole team and the first run imports geopandas.
STARTUP_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 60_000

# Navigation labels of every page, Spanish then English.
PAGES = {
    "mapa": ("Mapa", "Map"),
    "distrito": ("Distrito", "District"),
    "modelo": ("Modelo", "Model"),
    "datos": ("Datos", "Data"),
    "exportar": ("Exportar", "Export"),
    "planificacion": ("Planificación", "Planning"),
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _skip_or_fail(msg: str) -> None:
    if _in_ci():
        pytest.fail(msg + " (CI=true: the browser tests must run)")
    pytest.skip(msg)


# --------------------------------------------------------------------------------------
# pytest plumbing: remember each phase's report so fixtures can screenshot on failure
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --------------------------------------------------------------------------------------
# the browser
@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium (``$RISKMAP_CHROMIUM`` overrides); skip (fail under CI) if absent."""
    path = Path(os.environ.get("RISKMAP_CHROMIUM", "/usr/bin/chromium"))
    if not path.exists():
        _skip_or_fail(f"chromium not found at {path}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("the python package 'playwright' is not installed (pip install -e .[test])")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    """One headless chromium for the session."""
    from playwright.sync_api import expect, sync_playwright

    # Streamlit reruns and page switches take seconds on two shared cores
    expect.set_options(timeout=RUN_TIMEOUT_MS // 3)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------------------
# the data folder
@dataclass(frozen=True)
class E2EData:
    """One prepared data folder: what the served app reads."""

    root: Path  # RISKMAP_DATA_DIR
    settings: Path  # RISKMAP_CONFIG

    def env(self) -> dict[str, str]:
        """The environment variables that point riskmap at this folder."""
        return {"RISKMAP_DATA_DIR": str(self.root), "RISKMAP_CONFIG": str(self.settings)}

    @contextlib.contextmanager
    def activated(self) -> Iterator[None]:
        """Temporarily set :meth:`env` in this process (for ``geo.paths`` look-ups)."""
        old = {key: os.environ.get(key) for key in self.env()}
        os.environ.update(self.env())
        try:
            yield
        finally:
            for key, value in old.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def store_path(self) -> Path:
        """The inspection store of this folder, as the app finds it (``geo.paths``)."""
        from geo import paths

        with self.activated():
            return paths.store_path()

    def load_settings(self):
        """The Settings the app uses."""
        from geo.config import load_settings

        return load_settings(self.settings)


@pytest.fixture(scope="session")
def e2e_data(
    chromium_path: Path,
    upstream_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> E2EData:
    """The demo world, prepared once per session in its own folder (no network).

    ``$RISKMAP_E2E_DATA_DIR`` names a folder to prepare (or reuse: ``prepare`` skips the
    steps already done) instead of a fresh temporary one, for quick local iterations.
    """
    from models.pipeline import prepare

    reuse = os.environ.get("RISKMAP_E2E_DATA_DIR")
    root = Path(reuse) if reuse else tmp_path_factory.mktemp("e2e-data")
    settings = prepare(data_dir=root, mirror=upstream_dir, seed=0)
    return E2EData(root=root.resolve(), settings=Path(settings).resolve())


# --------------------------------------------------------------------------------------
# the server
def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def run_streamlit(
    script: Path,
    env: dict[str, str],
    log: Path,
    script_args: tuple[str, ...] = (),
    timeout_s: float = STARTUP_TIMEOUT_S,
    port: int | None = None,
) -> Iterator[str]:
    """Serve ``script`` with ``python -m streamlit run`` on a port; yield its base URL.

    Headless, no usage statistics, static serving on, no file watcher. Waits for
    ``/_stcore/health``; the server is terminated (then killed) on exit. ``port``: a free
    one unless given (a test that must know it beforehand, for an OIDC redirect URI).
    """
    port = port or free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.enableStaticServing", "true",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
    ]
    if script_args:
        cmd += ["--", *script_args]
    url = ServerURL(f"http://127.0.0.1:{port}")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
        url.pid = proc.pid
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"streamlit exited with status {proc.returncode}:\n{_tail(log)}"
                    )
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit not healthy after {timeout_s}s:\n{_tail(log)}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


class ServerURL(str):
    """The served app's base URL, with the server's process id (``.pid``) for measurements."""

    pid: int = 0


def _tail(log: Path, n: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


@pytest.fixture(scope="module")
def app_server(e2e_data: E2EData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard served once for the module; yields its base URL."""
    if not APP.is_file():
        pytest.fail(f"{APP} does not exist")
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with run_streamlit(APP, e2e_data.env(), log) as url:
        yield url


# --------------------------------------------------------------------------------------
# the network guard
@dataclass
class NetworkGuard:
    """Route every request of a browser context; remember foreign and failed ones.

    A request to a host other than the app's own is aborted (never leaves the machine) and
    recorded; so is every failed request and every HTTP error status.
    """

    base_url: str
    also: tuple[str, ...] = ()  # other origins on this machine the test expects (an IdP)
    expected: tuple[int, ...] = ()  # HTTP statuses that are answers here, not failures
    requests: list = field(default_factory=list)  # (url, resource_type)
    frames: list = field(default_factory=list)  # every websocket message received (bytes)
    foreign: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    aborted: list = field(default_factory=list)  # cancelled by the page (see _on_failed)

    def __post_init__(self) -> None:
        self.ports = {urlsplit(u).port for u in (self.base_url, *self.also)}

    def is_own(self, url: str) -> bool:
        """Whether ``url`` is served by the app (or needs no network at all)."""
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "javascript"):
            return True
        return parts.hostname in LOCAL_HOSTS and parts.port in self.ports

    def attach(self, context) -> None:
        """Install the route and listeners on a Playwright ``BrowserContext``."""
        context.route("**/*", self._route)
        context.on("requestfailed", self._on_failed)
        context.on("response", self._on_response)
        context.on("page", lambda page: page.on("websocket", self._on_websocket))

    def _route(self, route) -> None:
        request = route.request
        self.requests.append((request.url, request.resource_type))
        if self.is_own(request.url):
            route.continue_()
        else:
            self.foreign.append(request.url)
            route.abort("blockedbyclient")

    def _on_websocket(self, ws) -> None:
        if not self.is_own(ws.url.replace("ws://", "http://").replace("wss://", "https://")):
            self.foreign.append(ws.url)
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        self.frames.append(payload if isinstance(payload, bytes) else payload.encode())

    def received(self) -> bytes:
        """Every byte the app's websocket sent to the browser so far (Streamlit's protobuf)."""
        return b"".join(self.frames)

    def _on_failed(self, request) -> None:
        if not self.is_own(request.url):
            return  # already recorded as foreign (we aborted it)
        failure = request.failure or ""
        # An abort is the page cancelling its own request (a rerun tears down a component
        # iframe mid-load, with the style sheets and scripts it was loading; Chromium may
        # then serve the reload from its memory cache without a response event). It is not
        # a network failure: offline readiness is proven by the foreign-host check above and
        # by the tests that count the drawn district shapes.
        if failure == "net::ERR_ABORTED":
            self.aborted.append(request.url)
            return
        self.failed.append(f"{request.url} ({failure})")

    def _on_response(self, response) -> None:
        # A page opened at a deep link (/distrito?…) makes Streamlit's frontend probe
        # /distrito/_stcore/health before the root: a 404 there is its way to find its
        # base path, not a broken request.
        probe = re.search(r"/[^/]+/_stcore/(health|host-config)$", urlsplit(response.url).path)
        if response.status == 404 and probe:
            return
        if response.status >= 400 and response.status not in self.expected and \
                self.is_own(response.url):
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def problems(self) -> list[str]:
        """Human-readable list of every foreign or failed request so far."""
        return [f"foreign host: {url}" for url in self.foreign] + [
            f"failed: {what}" for what in self.failed
        ]

    def assert_clean(self) -> None:
        """Fail if the page asked any other host for anything, or any request failed."""
        problems = self.problems()
        assert not problems, "requests that would break offline:\n" + "\n".join(problems)


_POINT_INSIDE_JS = """
(path) => {
  const box = path.getBoundingClientRect();
  const steps = 24;
  for (let r = 0; r <= steps / 2; r++) {          // from the centre outwards
    for (let i = steps / 2 - r; i <= steps / 2 + r; i++) {
      for (let j = steps / 2 - r; j <= steps / 2 + r; j++) {
        if (Math.max(Math.abs(i - steps / 2), Math.abs(j - steps / 2)) !== r) continue;
        const x = box.left + (i + 0.5) * box.width / (steps + 1);
        const y = box.top + (j + 0.5) * box.height / (steps + 1);
        if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
        if (document.elementFromPoint(x, y) === path) {
          return {x: x - box.left, y: y - box.top};
        }
      }
    }
  }
  return null;
}
"""


# --------------------------------------------------------------------------------------
# the page under test
class AppPage:
    """A browser tab on the served dashboard, with Streamlit-aware helpers."""

    def __init__(self, page, base_url: str, guard: NetworkGuard) -> None:
        self.page = page
        self.base_url = base_url
        self.guard = guard

    # --- waiting ----------------------------------------------------------------------
    def wait(self, timeout: float = RUN_TIMEOUT_MS) -> None:
        """Wait until the script finished its run and every skeleton is gone."""
        from playwright.sync_api import expect

        page = self.page
        page.wait_for_timeout(150)  # let a just-triggered rerun start
        page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
            timeout=timeout, state="attached"
        )
        page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
            timeout=timeout, state="attached"
        )
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)

    def open(self, path: str = "") -> None:
        """Load the app (optionally a page's URL path) and wait for its first run."""
        self.page.goto(f"{self.base_url}/{path.lstrip('/')}", wait_until="domcontentloaded")
        self.page.wait_for_selector(
            "[data-testid='stAppViewContainer']", timeout=RUN_TIMEOUT_MS, state="attached"
        )
        self.wait()
        self.assert_no_exception()  # a traceback on load: fail now, not after every timeout

    # --- navigation -------------------------------------------------------------------
    def nav_link(self, key: str):
        """The navigation link of page ``key`` (see ``PAGES``), in whichever language."""
        es, en = PAGES[key]
        name = re.compile(rf"^\s*({re.escape(es)}|{re.escape(en)})\s*$")
        links = self.page.locator(
            "[data-testid='stSidebarNavLink'], [data-testid='stTopNavLink']"
        )
        # the link also holds its icon (an emoji or a Material icon's ligature text)
        return links.filter(has=self.page.get_by_text(name)).first

    def goto(self, key: str) -> None:
        """Open page ``key`` through the navigation (keeps the session, like a user)."""
        self.nav_link(key).click()
        self.wait()
        self.assert_no_exception()

    def nav_labels(self) -> list[str]:
        """The visible texts of the navigation links."""
        links = self.page.locator(
            "[data-testid='stSidebarNavLink'], [data-testid='stTopNavLink']"
        )
        texts = [text.strip().splitlines() for text in links.all_inner_texts()]
        return [lines[-1].strip() for lines in texts if lines]  # without the icon

    # --- content ----------------------------------------------------------------------
    def main(self):
        """The main area (not the sidebar)."""
        return self.page.get_by_test_id("stMain")

    def assert_no_exception(self) -> None:
        """No traceback and no error box from Streamlit itself."""
        from playwright.sync_api import expect

        expect(self.page.get_by_test_id("stException")).to_have_count(0)

    def table(self, dataframe):
        """The contents of an ``st.dataframe`` (drawn on a canvas) via its CSV download.

        ``dataframe`` is the ``stDataFrame`` element; returns a DataFrame of strings.
        """
        import pandas as pd

        dataframe.hover()
        with self.page.expect_download() as info:
            dataframe.get_by_role("button", name="Download as CSV").click()
        return pd.read_csv(info.value.path(), dtype=str, encoding="utf-8-sig")

    def download(self, button, folder: Path) -> Path:
        """Click a download ``button`` (a locator) and save the file in ``folder``."""
        with self.page.expect_download() as info:
            button.click()
        target = folder / info.value.suggested_filename
        info.value.save_as(target)
        return target

    def map_frame(self):
        """The streamlit-folium iframe (first one on the page)."""
        return self.page.frame_locator("iframe[title='streamlit_folium.st_folium']").first

    def shapes(self):
        """The interactive Leaflet vector shapes (SVG paths) drawn in the map iframe."""
        return self.map_frame().locator("path.leaflet-interactive")

    def point_inside(self, shape) -> dict[str, float]:
        """A point of ``shape`` (relative to its box) where a click really lands on it.

        Scans a grid over the path's bounding box for a point inside its fill that is not
        covered by another element (``elementFromPoint``): clicking the box centre of a
        concave district would often hit its neighbour.
        """
        point = shape.evaluate(_POINT_INSIDE_JS)
        if point is None:
            raise AssertionError("no clickable point found inside the shape")
        return point

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot to ``test-results/<name>.png``."""
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        with contextlib.suppress(Exception):
            self.page.screenshot(path=str(path), full_page=True)
        return path


@contextlib.contextmanager
def guarded_page(browser, base_url: str, request: pytest.FixtureRequest, *,
                 also: tuple[str, ...] = (), expected: tuple[int, ...] = (),
                 open_app: bool = True) -> Iterator[AppPage]:
    """A fresh browser context on ``base_url``, network guarded; closed afterwards.

    ``also``: other origins on this machine the test expects (an identity provider);
    ``expected``: HTTP statuses that are answers, not failures (a refused sign-in's 401);
    ``open_app``: load the app and wait for its first run (not for a sign-in page).
    A screenshot goes to ``test-results/`` when the test fails.
    """
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="es-PE"
    )
    context.set_default_timeout(RUN_TIMEOUT_MS)
    # st.dataframe's "Download as CSV" uses the File System Access API when it exists; without
    # it, it falls back to an ordinary download Playwright can catch (see AppPage.table).
    context.add_init_script("delete window.showSaveFilePicker;")
    guard = NetworkGuard(base_url, also=also, expected=expected)
    guard.attach(context)
    page = context.new_page()
    app_page = AppPage(page, base_url, guard)
    try:
        if open_app:
            app_page.open()
        yield app_page
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            app_page.screenshot(request.node.name)
        app_page.guard.assert_clean()
    except BaseException:
        app_page.screenshot(request.node.name)
        raise
    finally:
        context.close()


@pytest.fixture
def app(browser, app_server: str, request: pytest.FixtureRequest) -> Iterator[AppPage]:
    """A fresh browser context on the served app, loaded and idle; network guarded."""
    with guarded_page(browser, app_server, request) as page:
        yield page
