"""Take the README's screenshots of the dashboard, as a user sees it, with no internet.

Usage (after ``riskmap prepare``; needs Debian's chromium and the ``playwright`` package)::

    .venv/bin/python docs/screenshots.py [--data-dir data] [--out docs/screenshots]

Two servers, both started like ``riskmap serve``:

* the simulated demo as ``make serve`` shows it (no sign-in): the six data pages;
* the same world behind local sign-in, with throw-away accounts in a temporary data folder:
  the sign-in page, a Cusco planner's map, and the administrator's Usuarios and Auditoría.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CHROMIUM = os.environ.get("RISKMAP_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ("", "distrito", "planificacion", "modelo", "datos", "exportar")
#: Views of the Indicadores page shot with the map in view: (radio label, file name).
INDICATOR_VIEWS = ((None, "indicadores"), ("Rutas de las víctimas", "indicadores_rutas"),
                   ("Servicios y brecha", "indicadores_servicios"))
NAMES = {"": "mapa"}


@contextlib.contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    """``riskmap serve`` on a free port; yield its URL once healthy."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--port", str(port),
                             "--address", "127.0.0.1"], cwd=REPO, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def settle(page) -> None:
    """Wait until Streamlit finished its run and the map (if any) drew its shapes."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           state="attached", timeout=120_000)
    page.wait_for_timeout(3000)


def shoot(page, url: str, out: Path) -> None:
    page.goto(url, wait_until="domcontentloaded")
    settle(page)
    page.screenshot(path=str(out), full_page=False)
    print(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    data = args.data_dir.resolve()
    demo = data / "demo" / "settings.toml"
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        with serve({"RISKMAP_DATA_DIR": str(data), "RISKMAP_CONFIG": str(demo)}) as url:
            for path in PAGES:
                shoot(page, f"{url}/{path}", args.out / f"{NAMES.get(path, path)}.png")
            for label, name in INDICATOR_VIEWS:  # the page is still open: click the view
                page.goto(f"{url}/indicadores", wait_until="domcontentloaded")
                settle(page)
                if label:  # None: the default view
                    page.get_by_text(label, exact=True).first.click()
                    settle(page)
                page.locator("iframe").first.scroll_into_view_if_needed()
                page.wait_for_timeout(1500)
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=False)
                print(args.out / f"{name}.png")
        page.close()

        import tomli_w

        from geo.trust.accounts import Users

        with tempfile.TemporaryDirectory() as tmp:
            raw = tomllib.loads(demo.read_text(encoding="utf-8"))
            raw["auth"] = {"mode": "local"}
            local = demo.with_name("settings_capturas.toml")
            local.write_text(tomli_w.dumps(raw), encoding="utf-8")
            users = Users(Path(tmp) / "usuarios.toml")
            users.add("ana.quispe", "planificador", regions=("08",),
                      password="capturas de pantalla", display="Ana Quispe")
            users.add("admin.sunafil", None, admin=True, password="capturas de pantalla")
            try:
                with serve({"RISKMAP_DATA_DIR": tmp, "RISKMAP_CONFIG": str(local)}) as url:
                    for user, shots in (("ana.quispe", (("", "sesion_planificador"),)),
                                        ("admin.sunafil", (("", "usuarios"),
                                                           ("auditoria", "auditoria")))):
                        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                        tab.goto(f"{url}/acceso", wait_until="domcontentloaded")
                        if user == "ana.quispe":
                            tab.screenshot(path=str(args.out / "acceso.png"))
                        tab.fill("#usuario", user)
                        tab.fill("#contrasena", "capturas de pantalla")
                        with tab.expect_navigation():
                            tab.click("#entrar")
                        for path, name in shots:
                            shoot(tab, f"{url}/{path}", args.out / f"{name}.png")
                        tab.close()
            finally:
                local.unlink(missing_ok=True)
        printed_plan(browser, demo, args.out / "plan_impreso.png")
        browser.close()
    return 0


def printed_plan(browser, settings_path: Path, out: Path) -> None:
    """The demo's plan as `riskmap plan --html` prints it: the first office page (A4, print)."""
    from geo.config import load_settings
    from models.planning.plan import load_scores, plan_inspections

    settings = load_settings(settings_path)
    import pyogrio

    districts = pyogrio.read_dataframe(settings.districts_gpkg, layer="distritos",
                                       read_geometry=False)
    plan = plan_inspections(load_scores(settings.scores_gpkg), settings.planning,
                            districts=districts)
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "plan.html"
        plan.write_html(page_file, lang="es", simulated=settings.simulated)
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.goto(page_file.as_uri())
        page.emulate_media(media="print")
        office = page.locator("section.office").nth(1)  # Loreto: flights and rivers
        office.screenshot(path=str(out))
        page.close()
    print(out)


if __name__ == "__main__":
    sys.exit(main())
