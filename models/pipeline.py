"""The whole default pipeline, as ``riskmap prepare`` (and the first ``make serve``) runs it.

fetch the public sources -> convert them into ``peru_base.gpkg`` -> write the simulated demo
world -> build the district table -> fit and score -> evaluate (model card). Each step is
skipped when its output already exists (``force=True`` redoes everything), so a second run
costs nothing and the dashboard never recomputes per visit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geo import paths
from geo.config import Settings, load_settings
from geo.geography.base import build_base
from geo.geography.build import build_districts
from geo.geography.sources import MIRROR_ENV, fetch_sources, load_registry
from geo.messages import t
from geo.private import make_private, private_dir
from geo.world.demo import demo_outdated, make_demo
from models.evaluation.backtest import evaluate, write_card
from models.risk.explain import CHANGES_FILE
from models.risk.score import score_districts, write_scores

__all__ = ["prepare", "EVALUATION_FILE"]

EVALUATION_FILE = "evaluacion.json"
STEPS = 6

Progress = Callable[[str], None]


def prepare(
    data_dir: str | Path | None = None,
    mirror: str | Path | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    force: bool = False,
    fetch_progress: Callable[[Any], None] | None = None,
) -> Path:
    """Build every artefact the dashboard reads, on the built-in default (demo) data.

    The data folder and the world's working folder are made 0700, and the files with counts
    (scores, model card, changes) 0600 (:mod:`geo.private`); public files (the base, the
    downloaded sources, the district table) keep their modes.

    Parameters
    ----------
    data_dir : path, optional
        Working data folder (default :func:`geo.paths.data_dir`).
    mirror : str or path, optional
        Folder or URL holding the public source files (default ``$RISKMAP_MIRROR``, then
        the pinned public URLs).
    seed : int
        Seed of the simulated demo world.
    progress : callable, optional
        Receives one line of text per step (in the current language).
    force : bool
        Redo every step even when its output exists.
    fetch_progress : callable, optional
        Receives the per-file download events of :func:`geo.geography.sources.fetch_sources`.

    Returns
    -------
    Path
        The settings file of the demo world, which the dashboard uses by default.
    """
    say = progress or (lambda _msg: None)
    root = Path(data_dir).resolve() if data_dir else paths.data_dir()
    private_dir(root, tighten=True)  # it holds the store, the accounts and the demo world
    base = root / paths.base_gpkg().name
    demo = root / paths.demo_dir().name

    folder = root / paths.sources_dir().name
    # a data folder from before the sector tables joined the registry gets them too
    missing = [s.file for s in load_registry() if not (folder / s.file).is_file()]
    if force or not base.exists() or missing:
        source = mirror or os.environ.get(MIRROR_ENV)
        if source and Path(str(source)).is_dir():
            say(t("flujo.copiando_fuentes_publicas_carpeta", source=source))
        else:
            say(t("flujo.descargando_fuentes_publicas"))
        sources = fetch_sources(folder, mirror=mirror, progress=fetch_progress)
        if force or not base.exists():
            say(
                t("flujo.convirtiendo_limites_indicadores")
            )
            build_base(sources, base)
    else:
        say(t("flujo.datos_base_presentes"))

    settings_path = demo / "settings.toml"
    if force or not settings_path.exists() or demo_outdated(demo):
        say(
            t("flujo.simulando_mundo_demostracion_datos")
        )
        make_demo(base, demo, seed=seed)
    else:
        say(t("flujo.mundo_demostracion_presente"))
    settings = load_settings(settings_path)
    _keep_private(settings)

    if force or not settings.districts_gpkg.exists():
        say(t("flujo.construyendo_tabla_distritos"))
        build_districts(settings, out=settings.districts_gpkg)
    if force or not settings.scores_gpkg.exists():
        say(
            t("flujo.ajustando_modelo_calculando_riesgo")
        )
        write_scores(score_districts(settings), settings.scores_gpkg, settings)
    evaluation = settings.workdir / EVALUATION_FILE
    if force or not evaluation.exists():
        say(t("flujo.evaluando_modelo_backtest"))
        write_card(evaluate(settings), evaluation)
    say(t("flujo.listo", settings_path=settings_path))
    return settings_path


def _keep_private(settings: Settings) -> None:
    """Make the world's working folder 0700 and what it holds with counts 0600.

    New files are written owner-only (:mod:`geo.private`); this also closes a folder
    prepared by an older riskmap, whose scores and card were readable by everyone.
    """
    private_dir(settings.workdir, tighten=True)
    for path in (settings.scores_gpkg, settings.workdir / EVALUATION_FILE,
                 settings.workdir / CHANGES_FILE):
        make_private(path)
