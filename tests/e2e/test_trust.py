"""Sign-in, roles and regions in a real browser: what reaches each role's browser.

The dashboard is served as `riskmap serve` serves it, with ``[auth] mode = "local"`` and a
data folder of its own: accounts made with argon2id in its users file, and an inspection
store holding records of Cusco (``TRUST-CUS-*``) and Loreto (``TRUST-LOR-*``) besides the
demo's history file (``SIM-*``). Each test signs in through the real sign-in page and then
looks at *everything the server sent*: every websocket frame and the DOM of every page it
opened — not only what the page shows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from .conftest import APP, AppPage, E2EData, guarded_page, run_streamlit

pytestmark = pytest.mark.e2e

PASSWORDS = {
    "ana": "montaña de cusco 2026",       # planner, Cusco
    "gore": "gobierno regional cusco",    # regional government, Cusco (contains no name)
    "rosa": "investigacion abierta 77",   # researcher, every region
    "root": "administracion del tablero",  # administrator only
    "bloqueo": "esta clave nunca se usa",  # for the lockout test
}
MAX_FAILURES = 3


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


@dataclass(frozen=True)
class TrustWorld:
    url: str
    root: Path
    cusco_ids: tuple[str, ...]  # records a Cusco planner may receive
    loreto_ids: tuple[str, ...]  # records no Cusco identity may ever receive
    all_ids: tuple[str, ...]  # every record id: no aggregate role may receive any


@pytest.fixture(scope="module")
def trust(e2e_data: E2EData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrustWorld]:
    import tomllib

    import tomli_w

    from geo.geography.base import read_districts
    from geo.records.store import InspectionStore
    from geo.trust.accounts import Users

    root = tmp_path_factory.mktemp("trust-data")
    raw = tomllib.loads(e2e_data.settings.read_text(encoding="utf-8"))
    raw["auth"] = {"mode": "local", "max_failures": MAX_FAILURES, "lockout_minutes": 10}
    settings = e2e_data.settings.with_name("settings_trust_e2e.toml")
    settings.write_text(tomli_w.dumps(raw), encoding="utf-8")

    users = Users(root / "usuarios.toml")  # the real argon2id parameters
    users.add("ana", "planificador", regions=("08",), password=PASSWORDS["ana"],
              display="Ana Quispe")
    users.add("gore", "gobierno_regional", regions=("08",), password=PASSWORDS["gore"])
    users.add("rosa", "investigador", password=PASSWORDS["rosa"])
    users.add("root", None, admin=True, password=PASSWORDS["root"])
    users.add("bloqueo", "investigador", password=PASSWORDS["bloqueo"])

    loaded = e2e_data.load_settings()
    districts = read_districts(loaded.base, region=("08", "16"))
    cusco = districts[districts["ubigeo"].str.startswith("08")]["ubigeo"].tolist()[:6]
    loreto = districts[districts["ubigeo"].str.startswith("16")]["ubigeo"].tolist()[:6]
    rows = [f"TRUST-CUS-{i:04d},2024-0{1 + i % 9}-15,{u},mineria,{i % 2},3"
            for i, u in enumerate(cusco)]
    rows += [f"TRUST-LOR-{i:04d},2024-0{1 + i % 9}-15,{u},tala,{i % 2},2"
             for i, u in enumerate(loreto)]
    csv = root / "registros.csv"
    csv.write_text("id,fecha,ubigeo,sector,hallazgo_tf,victimas\n" + "\n".join(rows) + "\n",
                   encoding="utf-8")
    InspectionStore(root / "inspecciones.sqlite", role="planificador", user="e2e-setup"
                    ).import_file(csv, districts)

    history = pd.read_csv(loaded.inspections, dtype={"ubigeo": str, "id": str})
    store_ids = [r.split(",")[0] for r in rows]
    loreto_ids = [i for i in store_ids if i.startswith("TRUST-LOR")] + \
        history.loc[history["ubigeo"].str.startswith("16"), "id"].tolist()
    env = {"RISKMAP_DATA_DIR": str(root), "RISKMAP_CONFIG": str(settings)}
    log = tmp_path_factory.mktemp("streamlit-trust") / "streamlit.log"
    with run_streamlit(APP, env, log) as url:
        yield TrustWorld(url=url, root=root,
                         cusco_ids=tuple(i for i in store_ids if i.startswith("TRUST-CUS")),
                         loreto_ids=tuple(loreto_ids),
                         all_ids=tuple(store_ids + history["id"].tolist()))


@pytest.fixture
def tab(browser, trust: TrustWorld, request: pytest.FixtureRequest) -> Iterator[AppPage]:
    """A fresh browser context on the trust server, not signed in; network guarded.

    A refused sign-in (401) or a stale form (400) is an answer here, not a failure.
    """
    with guarded_page(browser, trust.url, request, expected=(400, 401),
                      open_app=False) as page:
        yield page


def sign_in(app: AppPage, user: str, password: str | None = None, path: str = "") -> None:
    """Fill the sign-in page like a person; on success, wait for the app's first run."""
    page = app.page
    page.goto(f"{app.base_url}/{path.lstrip('/')}", wait_until="domcontentloaded")
    assert "/acceso" in page.url, page.url  # every page starts at sign-in
    page.fill("#usuario", user)
    page.fill("#contrasena", PASSWORDS[user] if password is None else password)
    with page.expect_navigation():
        page.click("#entrar")
    if password is None:
        page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached")
        app.wait()
        app.assert_no_exception()


def received_text(app: AppPage) -> str:
    """Everything the server sent to this tab: websocket frames and the current DOM."""
    frames = app.guard.received().decode("utf-8", "replace")
    return frames + app.page.content()


def leaked(app: AppPage, ids) -> list[str]:
    text = received_text(app)
    return [i for i in ids if i in text]


# --------------------------------------------------------------------------------------
def test_no_page_content_before_sign_in(tab: AppPage, trust: TrustWorld) -> None:
    import urllib.error
    import urllib.request

    page = tab.page
    for path in ("", "distrito?ubigeo=080101", "datos", "exportar"):
        page.goto(f"{trust.url}/{path}", wait_until="domcontentloaded")
        assert "/acceso?next=" in page.url, page.url
        expect(page.locator("#usuario")).to_be_visible()
        assert page.get_by_test_id("stApp").count() == 0
    assert tab.guard.frames == [], "no websocket to the app before sign-in"
    # downloads and uploads are refused without a session, whatever the URL
    for path in ("media/0123456789abcdef.bin", "_stcore/upload_file/x/y"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{trust.url}/{path}", timeout=10)
        assert info.value.code == 401, path
    # English on the same page
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading")).to_contain_text("Sign in")


def test_wrong_password_is_refused_then_the_account_locks(tab: AppPage,
                                                          trust: TrustWorld) -> None:
    page = tab.page
    messages = []
    for _ in range(MAX_FAILURES):
        sign_in(tab, "bloqueo", "no es la clave")
        messages.append(page.get_by_test_id("signin-message").inner_text())
    assert "Usuario o contraseña incorrectos. Le quedan 2 intento(s)" in messages[0]
    assert "Le quedan 1 intento(s)" in messages[1]
    assert "Demasiados intentos fallidos" in messages[2] and "10 minutos" in messages[2]
    # locked: the right password is refused too, and said plainly
    sign_in(tab, "bloqueo", PASSWORDS["bloqueo"])
    assert "bloqueado 10 minutos" in page.get_by_test_id("signin-message").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "riskmap_sesion"]
    # a wrong password for an unknown name looks the same (names cannot be probed)
    sign_in(tab, "no-existe", "no es la clave")
    assert "Usuario o contraseña incorrectos" in page.get_by_test_id(
        "signin-message").inner_text()


def test_cusco_planner_never_receives_a_loreto_record(tab: AppPage,
                                                      trust: TrustWorld) -> None:
    sign_in(tab, "ana")
    sidebar = tab.page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Ana Quispe")).to_be_visible()
    expect(sidebar.get_by_text("Regiones: Cusco")).to_be_visible()
    expect(sidebar.get_by_role("radiogroup", name="Rol")).to_have_count(0)
    # the map offers Cusco only
    region = tab.main().get_by_role("radiogroup", name="Región")
    expect(region.get_by_role("radio")).to_have_count(1)
    # a crafted link to a Loreto district
    tab.page.goto(f"{trust.url}/distrito?ubigeo=160101", wait_until="domcontentloaded")
    tab.wait()
    expect(tab.main().get_by_text(re.compile("fuera de sus regiones"))).to_be_visible()
    # the latest records of the store: Cusco's, never Loreto's
    tab.goto("datos")
    tab.main().get_by_text("Ver los últimos registros del almacén").click()
    tab.wait()
    tab.assert_no_exception()
    tab.goto("exportar")
    tab.goto("planificacion")
    assert set(leaked(tab, trust.cusco_ids)) == set(trust.cusco_ids), \
        "the planner should receive its own region's records (the check must see ids)"
    assert leaked(tab, trust.loreto_ids) == []


@pytest.mark.parametrize("user", ["gore", "rosa"])
def test_aggregate_roles_never_receive_a_record(tab: AppPage, trust: TrustWorld,
                                                user: str) -> None:
    sign_in(tab, user)
    tab.goto("distrito")
    tab.goto("datos")
    expect(tab.main().get_by_text("Ver los últimos registros del almacén")).to_have_count(0)
    expect(tab.main().get_by_role("button", name=re.compile("Importar"))).to_have_count(0)
    tab.goto("exportar")
    tab.goto("modelo")
    assert leaked(tab, trust.all_ids) == []
    # planning is made of record-level evidence: not offered to this role
    assert "Planificación" not in tab.nav_labels()
    if user == "gore":  # a Cusco regional government: Cusco's map only
        tab.goto("mapa")
        expect(tab.main().get_by_role("radiogroup", name="Región").get_by_role("radio"))\
            .to_have_count(1)


def test_researcher_cannot_lower_the_small_count_threshold(tab: AppPage, trust: TrustWorld,
                                                           tmp_path) -> None:
    sign_in(tab, "rosa")
    tab.goto("exportar")
    main = tab.main()
    box = main.get_by_test_id("stNumberInput").locator("input")
    box.fill("1")
    box.press("Enter")
    tab.wait()
    # the browser marks 1 as invalid and never sends it; the server keeps 5
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(main.get_by_text(re.compile(r"suprimidos \(menores que 5\)"))).to_be_visible()
    main.get_by_role("radiogroup", name=re.compile("Formato")).get_by_text(
        "CSV", exact=True).click()
    tab.wait()
    target = tab.download(main.get_by_test_id("stDownloadButton").first.locator("button"),
                          tmp_path)
    with zipfile.ZipFile(target) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        table = pd.read_csv(io.BytesIO(zf.read(name)), dtype={"ubigeo": str})
    # complaint-driven inspections are a count the model reads: protected like the others
    for col in ("n_inspecciones", "n_hallazgos", "n_denuncias"):
        counts = pd.to_numeric(table[col], errors="coerce")
        assert not ((counts >= 1) & (counts < 5)).any(), col
        assert counts.isna().any(), f"{col}: some small counts should be blanked"
    # and nothing in the file rebuilds a blanked count (models.risk.disclosure)
    hidden = table["publicacion"] == "sin historial"
    assert hidden.any()
    assert table.loc[hidden, ["contrib_historial", "riesgo_p05", "prob_top10"]].isna().all().all()
    assert set(table.loc[hidden, "evidencia"]) == {"no publicada"}
    # the download itself is in the audit trail, under the signed-in identity
    from geo.records.store import InspectionStore

    trail = InspectionStore(trust.root / "inspecciones.sqlite", role="admin",
                            user="e2e").audit()
    exports = trail[trail["accion"] == "exportacion"]
    assert ("rosa", "investigador") in set(zip(exports["usuario"], exports["rol"], strict=True))


def test_sign_out_ends_the_session(tab: AppPage, trust: TrustWorld, browser) -> None:
    sign_in(tab, "ana")
    cookie = next(c for c in tab.page.context.cookies() if c["name"] == "riskmap_sesion")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    tab.page.get_by_test_id("stSidebar").get_by_role("button", name="Cerrar sesión").click()
    tab.wait()
    expect(tab.main().get_by_text(re.compile("Su sesión terminó"))).to_be_visible()
    expect(tab.page.get_by_test_id("stSidebarNav")).to_have_count(0)
    tab.page.reload(wait_until="domcontentloaded")
    assert "/acceso" in tab.page.url
    from geo.records.store import InspectionStore

    trail = InspectionStore(trust.root / "inspecciones.sqlite", role="admin",
                            user="e2e").audit()
    assert ("ana", "cierre_sesion") in set(zip(trail["usuario"], trail["accion"], strict=True))
    # the old cookie, replayed from another browser, opens nothing: ended on the server
    other = browser.new_context()
    try:
        other.add_cookies([cookie])
        page = other.new_page()
        page.goto(f"{trust.url}/datos", wait_until="domcontentloaded")
        assert "/acceso" in page.url
    finally:
        other.close()


def test_admin_sees_users_and_the_audit_trail_not_the_data(tab: AppPage,
                                                           trust: TrustWorld) -> None:
    sign_in(tab, "root")
    labels = tab.nav_labels()
    assert labels == ["Usuarios", "Auditoría"], labels
    accounts = tab.table(tab.main().get_by_test_id("stDataFrame").first)
    assert {"ana", "gore", "rosa", "root"} <= set(accounts["Usuario"]), accounts.to_string()
    assert accounts.set_index("Usuario").loc["ana", "Regiones"] == "Cusco"
    tab.page.get_by_test_id("stSidebarNavLink").filter(has_text="Auditoría").click()
    tab.wait()
    tab.assert_no_exception()
    expect(tab.main().get_by_text(re.compile("Auditoría íntegra"))).to_be_visible()
    assert leaked(tab, trust.all_ids) == []
    from geo.records.store import InspectionStore

    store = InspectionStore(trust.root / "inspecciones.sqlite", role="admin", user="e2e")
    trail = store.audit()
    assert {"inicio_sesion", "pagina"} <= set(trail["accion"])
    assert store.verify_audit().ok


def test_what_a_rescoring_moved_reaches_only_the_planners_browser(tab: AppPage,
                                                                   trust: TrustWorld,
                                                                   e2e_data: E2EData,
                                                                   last_rescoring) -> None:
    """The last rescoring's class moves (made on raw risks) travel to a planner's browser and
    to no other: neither the district names nor the counts are in any frame a regional
    government receives (the frames are checked, not only the page)."""
    from models.risk.explain import CHANGES_FILE

    marker = "DISTRITO-MOVIDO-E2E"
    path = last_rescoring(e2e_data.load_settings().workdir / CHANGES_FILE, marker, 37)
    try:
        sign_in(tab, "gore")
        tab.goto("modelo")
        expect(tab.main().get_by_text("Qué cambió en el último recálculo")).to_be_visible()
        sent = received_text(tab)
        assert marker not in sent and "37 de 116" not in sent
        assert "cambiaron de clase" not in sent
    finally:
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------
# writes stay in their region (issue 21): a world of its own, since it imports and rescores
@dataclass(frozen=True)
class WritesWorld:
    url: str
    root: Path
    settings: Path
    loreto_id: str  # a Loreto record of the history file


@pytest.fixture(scope="module")
def writes(e2e_data: E2EData, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[WritesWorld]:
    """The demo world copied beside it (its relative paths hold), behind local sign-in.

    A rescore rewrites the copy's scores, never the world the other tests read. The store
    holds a few records of each region, imported by the operator; ``ana`` plans Cusco.
    """
    import shutil
    import tomllib

    import tomli_w

    from geo.geography.base import read_districts
    from geo.records.store import InspectionStore
    from geo.trust.accounts import Users

    folder = e2e_data.settings.parent.with_name(f"{e2e_data.settings.parent.name}_escrituras")
    shutil.copytree(e2e_data.settings.parent, folder, dirs_exist_ok=True)
    raw = tomllib.loads(e2e_data.settings.read_text(encoding="utf-8"))
    raw["auth"] = {"mode": "local"}
    settings = folder / "settings_escrituras_e2e.toml"
    settings.write_text(tomli_w.dumps(raw), encoding="utf-8")
    root = tmp_path_factory.mktemp("writes-data")
    Users(root / "usuarios.toml").add("ana", "planificador", regions=("08",),
                                      password=PASSWORDS["ana"], display="Ana Quispe")
    loaded = e2e_data.load_settings()
    districts = read_districts(loaded.base, region=("08", "16"))
    cusco = districts[districts["ubigeo"].str.startswith("08")]["ubigeo"].tolist()[:3]
    loreto = districts[districts["ubigeo"].str.startswith("16")]["ubigeo"].tolist()[:3]
    rows = [f"ESC-CUS-{i},2024-02-15,{u},mineria,1,2" for i, u in enumerate(cusco)]
    rows += [f"ESC-LOR-{i},2024-02-15,{u},tala,1,3" for i, u in enumerate(loreto)]
    csv = root / "registros.csv"
    csv.write_text("id,fecha,ubigeo,sector,hallazgo_tf,victimas\n" + "\n".join(rows) + "\n",
                   encoding="utf-8")
    InspectionStore(root / "inspecciones.sqlite", role="planificador", user="e2e-setup"
                    ).import_file(csv, districts)
    history = pd.read_csv(loaded.inspections, dtype={"ubigeo": str, "id": str})
    found = history[history["ubigeo"].str.startswith("16") & (history["hallazgo_tf"] == 1)]
    env = {"RISKMAP_DATA_DIR": str(root), "RISKMAP_CONFIG": str(settings)}
    log = tmp_path_factory.mktemp("streamlit-writes") / "streamlit.log"
    with run_streamlit(APP, env, log) as url:
        yield WritesWorld(url=url, root=root, settings=settings,
                          loreto_id=str(found["id"].iloc[0]))


@pytest.fixture
def writer(browser, writes: WritesWorld, request: pytest.FixtureRequest) -> Iterator[AppPage]:
    """A fresh browser context on the writes server, not signed in; network guarded."""
    with guarded_page(browser, writes.url, request, expected=(400, 401),
                      open_app=False) as page:
        yield page


def _model_records(writes: WritesWorld) -> pd.DataFrame:
    """The records the model learns from (history file + store), read as the system."""
    from geo.config import load_settings
    from geo.records.inspections import load_records
    from geo.records.store import InspectionStore

    store = InspectionStore(writes.root / "inspecciones.sqlite", role="sistema", user="e2e")
    return load_records(load_settings(writes.settings), store=store, user="e2e")


def test_a_cusco_planner_cannot_overwrite_a_loreto_record_nor_count_loreto(
        writer: AppPage, writes: WritesWorld, tmp_path) -> None:
    """Issue 21: a Loreto id of the history file, uploaded with a Cusco ubigeo, is refused
    naming the row and not where the record is; Loreto's record is unchanged; the rescore
    and the page's totals count Cusco's records only (the model still learns from all)."""
    from geo.records.store import InspectionStore
    from geo.trust.access import in_regions

    store = InspectionStore(writes.root / "inspecciones.sqlite", role="sistema", user="e2e")
    before = _model_records(writes)
    loreto_before = before.set_index("id").loc[writes.loreto_id]
    n_cusco, n_all = len(in_regions(before, ("08",))), len(before)
    assert n_cusco != n_all
    stored_before = store.count()

    sign_in(writer, "ana")
    writer.goto("datos")
    main = writer.main()
    expect(main.get_by_text(f"El modelo usará {n_cusco:,} registros como máximo")).to_be_visible()
    upload = tmp_path / "correccion.csv"
    upload.write_text("id,fecha,ubigeo,sector,hallazgo_tf,victimas\n"
                      "ESC-NUEVO-1,2024-03-15,080101,mineria,0,0\n"
                      f"{writes.loreto_id},2024-03-15,080101,mineria,0,0\n", encoding="utf-8")
    writer.page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        str(upload))
    writer.wait()
    writer.assert_no_exception()
    main.get_by_role("button", name="Importar al almacén").click()
    writer.wait()
    refusal = main.get_by_test_id("stAlertContentError").filter(has_text="fuera de sus regiones")
    expect(refusal).to_be_visible()
    said = refusal.inner_text()
    assert f"línea 3 ('{writes.loreto_id}')" in said.replace("\\", ""), said
    assert "No se importó ninguna fila" in said
    assert not any(w in said for w in ("Loreto", str(loreto_before["ubigeo"]), "Maynas"))
    # nothing written: the store as it was, Loreto's record as the history file has it
    assert store.count() == stored_before
    assert writes.loreto_id not in set(store.records()["id"])
    after = _model_records(writes).set_index("id").loc[writes.loreto_id]
    for column in ("ubigeo", "fecha", "sector", "hallazgo_tf", "victimas"):
        assert after[column] == loreto_before[column], column

    # the rescore: fitted on every record, but the text counts Cusco's only
    main.get_by_role("button", name="Recalcular el riesgo con las inspecciones del almacén"
                     ).click()
    writer.wait(timeout=300_000)
    writer.assert_no_exception()
    expect(main.get_by_text(re.compile("Riesgo recalculado"))).to_be_visible()
    sent = received_text(writer)
    fitted = re.findall(r"Ajustando el modelo con ([\d,]+) inspecciones", sent)
    assert fitted and set(fitted) == {f"{n_cusco:,}"}, fitted  # grouped as CLDR es-PE does
    assert "de sus regiones" in sent
    assert not re.search(rf"\b({n_all}|{n_all:,}) (inspecciones|registros)", sent)
