"""What describes a simulated world's districts: its sector layers, the model's features.

The layers the world can simulate (:data:`DEMO_LAYERS`), the real layers the default world
reads (:data:`REAL_RECIPES`, :data:`REAL_FEATURES`), what the truth holds that no layer shows
(:data:`HIDDEN`) and the features each kind of world gives the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo import columns as C

__all__ = ["BASE_FEATURES", "DEMO_LAYERS", "FEATURES", "HIDDEN", "LAYER_KINDS", "REAL_FEATURES",
           "REAL_RECIPES", "SIMULATED_FEATURES", "Z_CAP", "DemoLayer"]


@dataclass(frozen=True)
class DemoLayer:
    """One simulated sector layer as written to ``capas/<name>.gpkg``."""

    name: str
    sector: str
    measure: str
    geometry: str  # "polygon" | "point"
    description: str
    per: str | None = None


DEMO_LAYERS: tuple[DemoLayer, ...] = (
    DemoLayer("concesiones_mineras", "mineria", "area_share", "polygon",
              "Concesiones mineras (SIMULADAS, forma de cuadrículas INGEMMET): proporción del "
              "área del distrito"),
    DemoLayer("mineria_informal", "mineria", "count", "point",
              "Frentes de minería informal (SIMULADOS, calibrados con REINFO y reportes de "
              "prensa): número por distrito"),
    DemoLayer("dragas", "mineria", "count", "point",
              "Dragas de oro en ríos de Loreto (SIMULADAS, Nanay, Napo, Tigre…): número por "
              "distrito"),
    DemoLayer("concesiones_forestales", "tala", "area_share", "polygon",
              "Concesiones forestales maderables (SIMULADAS, según pérdida de bosque "
              "GeoBosques): proporción del área"),
    DemoLayer("campamentos_tala", "tala", "density", "point",
              "Campamentos de tala (SIMULADOS, según pérdida de bosque 2020-2024): por km²",
              per="km2"),
    DemoLayer("agricultura", "agricultura", "area_share", "polygon",
              "Áreas agropecuarias (SIMULADAS, calibradas con MapBiomas 2020): proporción del "
              "área"),
    DemoLayer("coca", "coca", "area_share", "polygon",
              "Zonas de cultivo de coca (SIMULADAS, según hectáreas DEVIDA por distrito): "
              "proporción del área"),
)


BASE_FEATURES = (C.POBREZA, C.LEJANIA)


#: The model features of the world with simulated layers (``layers="simuladas"``).
SIMULATED_FEATURES = tuple(layer.name for layer in DEMO_LAYERS) + BASE_FEATURES


#: Recipes (``config/recetas``) whose ``[[layers]]`` are the default world's real layers,
#: read from the public files as ``riskmap data fetch`` downloads them.
REAL_RECIPES = ("geobosques_distrital.toml", "panel_amazonia.toml")


#: The real layers of the default world (hectares; docs/CAPAS_REALES.md §4).
REAL_FEATURES = ("perdida_bosque", "mineria", "agricultura", "coca")


#: What the true risk holds that no public layer here shows (SIMULATED, never a model
#: feature unless a scenario makes it visible): informal-mining fronts (calibrated on REINFO)
#: and river dredges (calibrated on the Nanay overflight).
HIDDEN = ("mineria_informal", "dragas")


#: The model features of the default world: the real layers and the base indicators.
FEATURES = REAL_FEATURES + BASE_FEATURES


#: Where a world's sector layers come from: the real public files, or simulated ones.
LAYER_KINDS = ("reales", "simuladas")


#: Truth z-scores are held within +-this many standard deviations: one layer's outlier (the
#: only mining district of a department) must not decide a district's risk alone.
Z_CAP = 3.0
