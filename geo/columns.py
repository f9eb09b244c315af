"""Column names shared by every layer of riskmap.

One place for the names so that ``geo``, ``models`` and ``dashboard`` never disagree
about a column; code refers to ``columns.UBIGEO``, never to the literal ``"ubigeo"``.
"""

# --- district table (layer ``distritos`` of the built GeoPackage) ---------------------
UBIGEO = "ubigeo"  # 6-digit INEI district code, always a string ("080101")
DISTRITO = "distrito"
PROVINCIA = "provincia"
DEPARTAMENTO = "departamento"
COD_DEP = "cod_dep"  # 2 digits, "08" Cusco, "16" Loreto
COD_PROV = "cod_prov"  # 4 digits
REGION_NATURAL = "region_natural"  # Costa / Sierra / Selva
AREA_KM2 = "area_km2"  # computed in an equal-area CRS
POBLACION = "poblacion"  # INEI estimate 2020
POBREZA = "pobreza_monetaria"  # % monetary poverty 2018 (midpoint of the 95% CI)
POBREZA_INF = "pobreza_inf"
POBREZA_SUP = "pobreza_sup"
IDH = "idh"  # human development index 2019
DENSIDAD = "densidad"  # inhabitants per km2
ALTITUD = "altitud"  # m above sea level of the district capital
LEJANIA = "lejania_km"  # km from the district centroid to its department capital
CENTROIDE_LON = "lon"
CENTROIDE_LAT = "lat"
GEOMETRY = "geometry"

BASE_INDICATORS = (POBLACION, POBREZA, POBREZA_INF, POBREZA_SUP, IDH, DENSIDAD, ALTITUD, LEJANIA)

# --- inspection records (the contract users feed) --------------------------------------
ID = "id"
FECHA = "fecha"
LAT = "lat"
LON = "lon"
SECTOR = "sector"
HALLAZGO = "hallazgo_tf"
ORIGEN = "origen"
INDICADORES = "indicadores"
TRABAJADORES = "trabajadores"
VICTIMAS = "victimas"  # sensitive: never exported below the suppression threshold
VICTIMAS_MUJERES = "victimas_mujeres"  # of them, women and girls
VICTIMAS_MENORES = "victimas_menores"  # of them, under 18
UBIGEO_ORIGEN = "ubigeo_origen"  # district where the victims were recruited

SECTORES_INSPECCION = (
    "mineria",
    "tala",
    "agricultura",
    "coca",
    "domestico",
    "construccion",
    "otro",
)
ORIGENES = ("planificada", "denuncia", "aleatoria")
SECTORES_CAPA = ("mineria", "tala", "agricultura", "coca", "vulnerabilidad", "otro")

# --- risk scores (``riskmap score`` output) --------------------------------------------
RIESGO = "riesgo"  # probability that an inspection finds forced-labour indicators
RIESGO_P05 = "riesgo_p05"
RIESGO_P95 = "riesgo_p95"
PROB_TOP10 = "prob_top10"
EVIDENCIA = "evidencia"  # "suficiente" | "limitada" | "evidencia insuficiente"
RANGO = "rango"  # 1 = highest risk
CONTRIB_PREFIX = "contrib_"
N_INSPECCIONES = "n_inspecciones"
N_HALLAZGOS = "n_hallazgos"
N_DENUNCIAS = "n_denuncias"  # inspections that answered a complaint (origen = denuncia)
EVIDENCIA_INSUFICIENTE = "evidencia insuficiente"
EVIDENCIA_NO_PUBLICADA = "no publicada"  # withheld for roles without record access

# --- simulated truth (demo world only) --------------------------------------------------
RIESGO_VERDADERO = "riesgo_verdadero"

# --- departments ------------------------------------------------------------------------
DEP_CUSCO = "08"
DEP_LORETO = "16"
DEFAULT_DEPARTMENTS = (DEP_CUSCO, DEP_LORETO)
