"""Simulated sector layers inside the districts, and the features measured on them.

Mining concessions (rectangles), informal-mining sites and river dredges (points), forest
concessions and logging camps where forest loss is large, farm blocks and coca zones
(irregular polygons), every one clipped to its district and drawn from the calibration; then
measured as the district table measures them (area share, count, density per km²).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import columns as C
from geo.world.districts import _deg_per_km, _World
from geo.world.features import BASE_FEATURES, DEMO_LAYERS

EQUAL_AREA = "EPSG:6933"  # world cylindrical equal-area: areas within 0.001 % in Peru


def _rectangles(rng: np.random.Generator, xy: np.ndarray, ha: np.ndarray) -> np.ndarray:
    """North-south rectangles of ``ha`` hectares centred on ``xy`` (INGEMMET-like claims)."""
    km2 = ha / 100.0
    aspect = rng.uniform(0.5, 2.0, len(xy))
    w_km, h_km = np.sqrt(km2 * aspect), np.sqrt(km2 / aspect)
    kx, ky = _deg_per_km(float(xy[:, 1].mean())) if len(xy) else (0.0, 0.0)
    hw, hh = w_km * kx / 2, h_km * ky / 2
    return shapely.box(xy[:, 0] - hw, xy[:, 1] - hh, xy[:, 0] + hw, xy[:, 1] + hh)


def _blobs(rng: np.random.Generator, xy: np.ndarray, ha: np.ndarray,
           vertices: int = 18) -> np.ndarray:
    """Irregular, roughly elliptical polygons of about ``ha`` hectares around ``xy``."""
    n = len(xy)
    if n == 0:
        return np.empty(0, dtype=object)
    km2 = ha / 100.0
    aspect = rng.uniform(0.4, 1.0, n)
    a_km = np.sqrt(km2 / (math.pi * aspect))
    b_km = a_km * aspect
    rot = rng.uniform(0, math.pi, n)
    phi = np.linspace(0, 2 * math.pi, vertices, endpoint=False)
    # smooth radial noise: two random harmonics, so shapes look like fields, not stars
    noise = 1.0 + 0.12 * np.sin(2 * phi[None, :] + rng.uniform(0, 6.3, (n, 1))) \
        + 0.08 * np.sin(3 * phi[None, :] + rng.uniform(0, 6.3, (n, 1)))
    ex = a_km[:, None] * np.cos(phi)[None, :] * noise
    ey = b_km[:, None] * np.sin(phi)[None, :] * noise
    cx = ex * np.cos(rot)[:, None] - ey * np.sin(rot)[:, None]
    cy = ex * np.sin(rot)[:, None] + ey * np.cos(rot)[:, None]
    kx, ky = _deg_per_km(float(xy[:, 1].mean()))
    coords = np.stack([xy[:, 0:1] + cx * kx, xy[:, 1:2] + cy * ky], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)  # close the rings
    return shapely.polygons(coords)


def _clip(polys: np.ndarray, district: shapely.Geometry) -> np.ndarray:
    """Clip to the district and keep valid polygonal parts (drop slivers' lines, points)."""
    if len(polys) == 0:
        return polys
    clipped = shapely.make_valid(shapely.intersection(polys, district))
    out = []
    for geom in clipped:
        parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
        if not parts:
            out.append(None)
        else:
            out.append(shapely.MultiPolygon(parts))
    return np.array(out, dtype=object)


def _simulate_layers(world: _World, cal: Mapping[str, Any],
                     rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """Each layer as a GeoDataFrame with a private ``_i`` (district index) column."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    layers["concesiones_mineras"] = _mining_concessions(world, cal, rng)
    layers["mineria_informal"] = _informal_mining(world, cal, rng)
    layers["dragas"] = _dredges(world, cal, rng)
    layers["concesiones_forestales"] = _forest_concessions(world, cal, rng)
    layers["campamentos_tala"] = _logging_camps(world, cal, rng, layers["concesiones_forestales"])
    layers["agricultura"] = _farmland(world, cal, rng)
    layers["coca"] = _coca(world, cal, rng)
    return layers


def _polygon_layer(world: _World, rng: np.random.Generator, target_share: np.ndarray,
                   ha_range: tuple[float, float], shape: str, kind: str, prefix: str,
                   clusters: int = 0, sd_km: float = 5.0) -> gpd.GeoDataFrame:
    """Scatter polygons in every district until about ``target_share`` of it is covered."""
    rows: list[tuple[int, shapely.Geometry]] = []
    lo, hi = ha_range
    for i in range(len(world)):
        target_ha = target_share[i] * world.area_km2[i] * 100.0
        if target_ha <= 0:
            continue
        mean_ha = min(math.sqrt(lo * hi), max(lo, target_ha))
        n = max(1, int(rng.poisson(1.15 * target_ha / mean_ha)))  # overlaps are dissolved
        sizes = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
        sizes = np.minimum(sizes * target_ha / max(sizes.sum(), 1e-9) * 1.15, hi * 4)
        if clusters:
            centres = world.sample(rng, i, clusters)
            xy = world.sample_near(rng, i, centres, n, sd_km)
        else:
            xy = world.sample(rng, i, n)
        polys = _rectangles(rng, xy, sizes) if shape == "rect" else _blobs(rng, xy, sizes)
        rows.extend((i, g) for g in _clip(polys, world.own[i]) if g is not None)
    gdf = gpd.GeoDataFrame(
        {"_i": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs="EPSG:4326")
    gdf.insert(0, "id", [f"{prefix}-{k:05d}" for k in range(1, len(gdf) + 1)])
    gdf.insert(1, "tipo", kind)
    gdf.insert(2, "hectareas", (gdf.geometry.to_crs(EQUAL_AREA).area / 1e4).round(2))
    return gdf


def _point_layer(rows: list[tuple[int, np.ndarray, dict[str, Any]]], kind: str,
                 prefix: str) -> gpd.GeoDataFrame:
    idx, xs, ys, extra = [], [], [], []
    for i, xy, attrs in rows:
        idx.extend([i] * len(xy))
        xs.extend(xy[:, 0])
        ys.extend(xy[:, 1])
        extra.extend([attrs] * len(xy))
    gdf = gpd.GeoDataFrame(
        {"_i": idx}, geometry=gpd.points_from_xy(np.round(xs, 6), np.round(ys, 6)),
        crs="EPSG:4326")
    for key in sorted({k for attrs in extra for k in attrs}):
        gdf[key] = [attrs.get(key, "") for attrs in extra]
    gdf.insert(0, "id", [f"{prefix}-{k:05d}" for k in range(1, len(gdf) + 1)])
    gdf.insert(1, "tipo", kind)
    return gdf


def _by_code(world: _World, table: Mapping[str, Mapping[str, Any]], key: str) -> np.ndarray:
    values = np.zeros(len(world))
    for code, entry in table.items():
        if code in world.index:
            values[world.index[code]] = float(entry[key])
    return values


def _mining_concessions(world: _World, cal: Mapping[str, Any],
                        rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["mineria"]["concesiones"]
    shares = cal["mineria"]["concesiones_share"]
    cod_prov = world.districts[C.COD_PROV].to_numpy()
    target = np.where(world.dep == C.DEP_CUSCO, conf["share_otros_cusco"],
                      conf["share_otros_loreto"]).astype(float)
    for i, (u, prov) in enumerate(zip(world.ubigeo, cod_prov, strict=True)):
        entry = shares.get(u) or shares.get(prov)
        if entry:
            target[i] = entry["share"]
    target *= rng.lognormal(0.0, 0.3, len(world))
    return _polygon_layer(world, rng, target, tuple(conf["ha_por_concesion"]), "rect",
                          "concesión minera (simulada)", "SIM-CM")


def _informal_mining(world: _World, cal: Mapping[str, Any],
                     rng: np.random.Generator) -> gpd.GeoDataFrame:
    expected = _by_code(world, cal["mineria"]["informal"], "n")
    sierra = (world.dep == C.DEP_CUSCO) & (
        world.districts[C.REGION_NATURAL].to_numpy() == "Sierra") & (expected == 0)
    expected[sierra] = cal["mineria"]["fondo_sierra_cusco"]
    rows = []
    for i in range(len(world)):
        n = int(rng.poisson(expected[i])) if expected[i] > 0 else 0
        if n:
            # sites cluster along a few gold-bearing valleys or streams
            centres = world.sample(rng, i, max(1, n // 12 + 1))
            rows.append((i, world.sample_near(rng, i, centres, n, sd_km=3.0), {}))
    return _point_layer(rows, "frente de minería informal (simulado)", "SIM-MI")


def _river(rng: np.random.Generator, world: _World, i: int) -> shapely.LineString:
    """Draw an approximate meandering river across district ``i`` (its longest chord)."""
    pts = world.sample(rng, i, 40)
    d = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=-1)
    a, b = np.unravel_index(np.argmax(d), d.shape)
    t = np.linspace(0, 1, 60)
    line = pts[a] + t[:, None] * (pts[b] - pts[a])
    normal = np.array([-(pts[b] - pts[a])[1], (pts[b] - pts[a])[0]])
    amp = 0.06 * rng.uniform(0.5, 1.0)
    waves = amp * np.sin(2 * math.pi * t * rng.uniform(2, 4) + rng.uniform(0, 6.3))
    line = line + waves[:, None] * normal[None, :]
    clipped = shapely.intersection(shapely.LineString(line), world.geoms[i])
    parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString"]
    return max(parts, key=lambda p: p.length) if parts else shapely.LineString(pts[[a, b]])


def _dredges(world: _World, cal: Mapping[str, Any],
             rng: np.random.Generator) -> gpd.GeoDataFrame:
    table = cal["mineria"]["dragas"]
    rows = []
    for code in sorted(table):
        if code not in world.index:
            continue
        i, entry = world.index[code], table[code]
        n = int(rng.poisson(entry["n"]))
        if not n:
            continue
        river = _river(rng, world, i)
        # dredges work in groups on stretches of the river: a few anchors, scattered along
        anchors = rng.uniform(0.1, 0.9, max(1, n // 8 + 1))
        frac = np.clip(anchors[rng.integers(0, len(anchors), n)] + rng.normal(0, 0.05, n), 0, 1)
        xy = shapely.get_coordinates(shapely.line_interpolate_point(river, frac, normalized=True))
        ok = world._inside(i, xy, world.geoms[i])
        if not ok.all():
            xy[~ok] = world.sample(rng, i, int((~ok).sum()))
        rows.append((i, xy, {"rio": entry["rio"]}))
    return _point_layer(rows, "draga (simulada)", "SIM-DR")


def _forest_loss(world: _World, cal: Mapping[str, Any]) -> np.ndarray:
    return _by_code(world, cal["bosque"]["perdida_ha_2020_2024"], "ha")


def _forest_concessions(world: _World, cal: Mapping[str, Any],
                        rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["bosque"]
    loss = _forest_loss(world, cal)
    target = np.zeros(len(world))
    for dep, share in conf["concesion_max_share"].items():
        mask = (world.dep == dep) & (loss >= conf["concesion_min_ha"])
        if mask.any():
            target[mask] = share * np.sqrt(loss[mask] / loss[world.dep == dep].max())
    target *= rng.lognormal(0.0, 0.4, len(world))
    return _polygon_layer(world, rng, np.minimum(target, 0.5), tuple(conf["ha_por_concesion"]),
                          "rect", "concesión forestal (simulada)", "SIM-CF")


def _logging_camps(world: _World, cal: Mapping[str, Any], rng: np.random.Generator,
                   concessions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    conf = cal["bosque"]
    loss = _forest_loss(world, cal)
    share = np.array([conf["parte_tala"].get(d, 0.0) for d in world.dep])
    expected = loss * share / conf["ha_perdidas_por_campamento"]
    inside = concessions.groupby("_i").geometry.apply(lambda s: shapely.union_all(s.values))
    rows = []
    for i in range(len(world)):
        n = int(rng.poisson(expected[i])) if expected[i] > 0 else 0
        if not n:
            continue
        # about half the camps work inside the (simulated) concessions, half outside them
        n_in = int(rng.binomial(n, 0.5)) if i in inside.index else 0
        xy = world.sample(rng, i, n - n_in)
        if n_in:
            xy = np.vstack([xy, world.sample(rng, i, n_in, within=inside[i])])
        rows.append((i, xy, {}))
    return _point_layer(rows, "campamento de tala (simulado)", "SIM-CT")


def _farmland(world: _World, cal: Mapping[str, Any],
              rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["agricultura"]
    ha = _by_code(world, conf["ha_2020"], "ha")
    share = ha / (world.area_km2 * 100.0)
    m, k = conf["andina_media"], conf["andina_concentracion"]
    andean = ha == 0
    share[andean] = rng.beta(m * k, (1 - m) * k, int(andean.sum()))
    share = np.minimum(share, conf["max_share"])
    return _polygon_layer(world, rng, share, tuple(conf["ha_por_poligono"]), "blob",
                          "área agropecuaria (simulada)", "SIM-AG", clusters=3, sd_km=8.0)


def _coca(world: _World, cal: Mapping[str, Any], rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["coca"]
    ha = _by_code(world, conf["ha_2020"], "ha")
    col = conf["anios"].index(conf["anio_escala"])
    for dep, totals in conf["departamento_ha"].items():
        mask = world.dep == dep
        if mask.any() and ha[mask].sum() > 0:
            ha[mask] *= totals[col] / ha[mask].sum()  # scale to the department's latest total
    share = ha / (world.area_km2 * 100.0)
    return _polygon_layer(world, rng, share, tuple(conf["ha_por_poligono"]), "blob",
                          "zona de coca (simulada)", "SIM-CO", clusters=2, sd_km=4.0)


def _measure(world: _World, layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Measure the district features as the district table does (``geo.geography.layers``)."""
    feats = pd.DataFrame(index=pd.Index(world.ubigeo, name=C.UBIGEO))
    for spec in DEMO_LAYERS:
        gdf = layers[spec.name]
        values = np.zeros(len(world))
        if spec.measure == "area_share" and len(gdf):
            dissolved = gdf.dissolve(by="_i")  # overlapping polygons count once
            area = dissolved.geometry.to_crs(EQUAL_AREA).area.to_numpy() / 1e6
            values[dissolved.index.to_numpy()] = area / world.area_km2[dissolved.index]
        elif len(gdf):
            counts = np.bincount(gdf["_i"].to_numpy(), minlength=len(world)).astype(float)
            values = counts / world.area_km2 if spec.measure == "density" else counts
        feats[spec.name] = values
    for col in BASE_FEATURES:
        feats[col] = world.districts[col].to_numpy(float)
    return feats


def _simulated_intensity(world: _World, feats: pd.DataFrame) -> pd.DataFrame:
    """Return the same, from the simulated layers (the world before issue 20, unchanged)."""
    return pd.DataFrame({
        "mineria": 0.6 * np.minimum(1, (feats["mineria_informal"] + feats["dragas"]) / 8)
        + 2 * feats["concesiones_mineras"],
        "tala": 0.6 * np.minimum(1, feats["campamentos_tala"] * world.area_km2 / 4)
        + 2 * feats["concesiones_forestales"],
        "coca": np.minimum(0.6, 30 * feats["coca"]),
        "agricultura": feats["agricultura"],
    }, index=feats.index)
