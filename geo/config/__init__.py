r"""The deployment's settings: one versioned, commented TOML read into frozen dataclasses.

``config/settings.toml`` documents every key with its default. Unknown keys are
rejected (a typo must not be silently ignored), paths are resolved relative to the
settings file, and every error names the file and the key.

One module per section, each with its dataclass and its reader: :mod:`geo.config.layers`
(``[[layers]]``), :mod:`geo.config.model`, :mod:`geo.config.planning`,
:mod:`geo.config.auth` (with the roles of :mod:`geo.config.roles`), :mod:`geo.config.limits`,
:mod:`geo.config.audit` and :mod:`geo.config.referral`; :mod:`geo.config.settings` reads
the whole file and :mod:`geo.config.reading` holds what every reader shares. Settings are a
lower floor than trust: nothing here imports :mod:`geo.trust`.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "t.csv").write_text("ubigeo,x\n080101,1\n")
>>> _ = (d / "s.toml").write_text('''config_version = 1
... [[layers]]
... name = "x"
... sector = "otro"
... path = "t.csv"
... measure = "value"
... column = "x"
... ''')
>>> s = load_settings(d / "s.toml")
>>> s.layers[0].name, s.layers[0].path.name, s.region
('x', 't.csv', ('08', '16'))
"""

from geo.config.audit import WITNESS_SCHEMES, AuditSpec, place_refusal
from geo.config.auth import AUTH_MODES, AuthSpec, OIDCRule, OIDCSpec, parse_proxies
from geo.config.layers import (
    COMBINES,
    KIND_SECTOR,
    KIND_SERVICES,
    MATCH_KEYS,
    MEASURES,
    MISSING_NAN,
    MISSING_ZERO,
    MISSINGS,
    RASTER_MEASURES,
    YEAR_FIELD,
    LayerSpec,
)
from geo.config.limits import LimitsSpec
from geo.config.model import SELECTION_CORRECTIONS, ModelSpec
from geo.config.planning import Flight, Office, PlanningSpec
from geo.config.reading import CONFIG_VERSION, REGION_ALIASES, SOURCES_PREFIX, parse_region
from geo.config.referral import ReferralLine, ReferralSpec
from geo.config.settings import STORE_CONFIG_HELP, Settings, active_store, load_settings
from geo.errors import ConfigError

__all__ = [
    "AUTH_MODES",
    "AuditSpec",
    "AuthSpec",
    "COMBINES",
    "CONFIG_VERSION",
    "ConfigError",
    "Flight",
    "KIND_SECTOR",
    "KIND_SERVICES",
    "LayerSpec",
    "LimitsSpec",
    "MATCH_KEYS",
    "MEASURES",
    "MISSINGS",
    "MISSING_NAN",
    "MISSING_ZERO",
    "ModelSpec",
    "OIDCRule",
    "OIDCSpec",
    "Office",
    "PlanningSpec",
    "RASTER_MEASURES",
    "REGION_ALIASES",
    "ReferralLine",
    "ReferralSpec",
    "SELECTION_CORRECTIONS",
    "SOURCES_PREFIX",
    "STORE_CONFIG_HELP",
    "Settings",
    "WITNESS_SCHEMES",
    "YEAR_FIELD",
    "active_store",
    "load_settings",
    "parse_proxies",
    "parse_region",
    "place_refusal",
]
