"""What the pages read and show: cached loaders of the command line's artefacts and view builders.

The dashboard computes nothing heavy: it reads what ``riskmap prepare`` wrote, keyed on each
file's path and modification time, and turns it into what a page shows for a role.

- :mod:`~dashboard.state.files` — the active settings, artefact paths, cache keys, the
  missing-artefact error;
- :mod:`~dashboard.state.loaders` — cached readers of the scores, district table, layers,
  sources, boundaries and records;
- :mod:`~dashboard.state.disclosure` — what a role may read: its view of the scores,
  suppressed counts, audited record and indicator reads;
- :mod:`~dashboard.state.card` — the model card as a role may see it;
- :mod:`~dashboard.state.regions` — the region switch;
- :mod:`~dashboard.state.maps` — the Mapa page's map, outlines and hot spots;
- :mod:`~dashboard.state.exports` — an export's table and metadata;
- :mod:`~dashboard.state.services` — services for victims and the districts far from them;
- :mod:`~dashboard.state.planning` — the Planificación page's plan and travel table;
- :mod:`~dashboard.state.rescoring` — refit, rescore and evaluate again after an import;
- :mod:`~dashboard.state.fieldsheets` — the field sheets of the plan or of one district.

The last three are imported from their modules by the pages that use them (they bring
the planner's network and the backtest, which the other pages do not need).

This package re-exports their public names, so ``from dashboard import state`` then
``state.scores(k)`` keeps working; code inside the package imports from the submodule:

>>> from dashboard import state
>>> from dashboard.state import regions
>>> state.regions_in is regions.regions_in
True
>>> sorted(set(state.__all__) - set(dir(state)))  # every name listed is there
[]

A missing artefact raises :class:`MissingArtefactError`, whose message tells the user to
run ``riskmap prepare`` — pages show it with :func:`dashboard.ui.show_error`.
"""

from __future__ import annotations

from dashboard.state.card import (
    CARD_RECORD_KEYS,
    EVALUATION_FILE,
    evaluation,
    evaluation_for,
)
from dashboard.state.disclosure import (
    ALL_COUNTS,
    SENSITIVE_COUNTS,
    district_aggregates,
    indicator_classes,
    indicator_cooccurrence,
    indicator_profiles,
    inspection_records,
    protected_counts,
    scores,
    shown_total,
    suppress_small_counts,
    victim_routes,
    view,
)
from dashboard.state.exports import (
    FORMATS,
    OIT_PREFIX,
    RECORD_METADATA,
    SINGLE_FILE,
    XLSX_MIME,
    export_bytes,
    export_counts,
    export_metadata,
    export_table,
    indicator_columns,
    indicator_xlsx,
    portable,
)
from dashboard.state.files import (
    MissingArtefactError,
    in_region,
    mtime,
    settings,
    settings_path,
)
from dashboard.state.loaders import (
    SIMPLIFY_TOLERANCE,
    departments,
    district_table,
    layer_facts,
    metadata,
    metadata_values,
    missing_patterns,
    national_ubigeos,
    provinces,
    sector_layer,
    sources_table,
    sources_tables,
    store,
    typed_metadata,
)
from dashboard.state.maps import (
    MAP_COLUMNS,
    alert_districts,
    hotspots,
    map_digits,
    map_features,
    map_layer,
    map_outlines,
    map_payload,
    table_layer,
    warm_map,
)
from dashboard.state.regions import (
    ALL_REGIONS,
    Region,
    rank_in,
    region_label,
    region_options,
    regions_in,
)
from dashboard.state.services import (
    service_access,
    service_gap,
    service_points,
)

__all__ = [
    "ALL_COUNTS",
    "ALL_REGIONS",
    "CARD_RECORD_KEYS",
    "EVALUATION_FILE",
    "FORMATS",
    "MAP_COLUMNS",
    "MissingArtefactError",
    "OIT_PREFIX",
    "RECORD_METADATA",
    "Region",
    "SENSITIVE_COUNTS",
    "SIMPLIFY_TOLERANCE",
    "SINGLE_FILE",
    "XLSX_MIME",
    "alert_districts",
    "departments",
    "district_aggregates",
    "district_table",
    "evaluation",
    "evaluation_for",
    "export_bytes",
    "export_counts",
    "export_metadata",
    "export_table",
    "hotspots",
    "in_region",
    "indicator_classes",
    "indicator_columns",
    "indicator_cooccurrence",
    "indicator_profiles",
    "indicator_xlsx",
    "inspection_records",
    "layer_facts",
    "map_digits",
    "map_features",
    "map_layer",
    "map_outlines",
    "map_payload",
    "metadata",
    "metadata_values",
    "missing_patterns",
    "mtime",
    "national_ubigeos",
    "portable",
    "protected_counts",
    "provinces",
    "rank_in",
    "region_label",
    "region_options",
    "regions_in",
    "scores",
    "sector_layer",
    "service_access",
    "service_gap",
    "service_points",
    "settings",
    "settings_path",
    "shown_total",
    "sources_table",
    "sources_tables",
    "store",
    "suppress_small_counts",
    "table_layer",
    "typed_metadata",
    "victim_routes",
    "view",
    "warm_map",
]
