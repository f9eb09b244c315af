"""``riskmap serve``: start the dashboard (``streamlit run dashboard/server.py``, right flags).

Before starting, the settings are checked: sign-in turned off (``[auth] mode = "none"``)
with real data, or OIDC without its client secret, is refused with the reason — the
server never starts in a state that would show confidential records to anyone.

uvicorn's own reading of ``X-Forwarded-For`` is turned off (``FORWARDED_ALLOW_IPS=""``;
by default it believes the header from 127.0.0.1, so anyone reaching a local proxy
could name their own address): the dashboard reads it itself, only from the proxies
named in ``[auth] trusted_proxies`` (:class:`dashboard.server.ClientAddress`).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from dashboard.arguments.serve import register
from dashboard.signin_rules import mode_refusal
from geo import paths
from geo.config import load_settings
from geo.errors import ConfigError
from geo.messages import t
from geo.trust.accounts import Users

__all__ = ["register", "run", "server_environment", "streamlit_command"]

APP = Path(__file__).resolve().parent.parent / "server.py"  # st.App around app.py


def streamlit_command(port: int = 8501, address: str | None = None,
                      max_upload_mb: float | None = None) -> list[str]:
    """Return the ``streamlit run`` command line that serves the dashboard offline and headless.

    >>> cmd = streamlit_command(8599)
    >>> cmd[1:4] == ["-m", "streamlit", "run"], "--server.port=8599" in cmd
    (True, True)
    """
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        f"--server.port={port}",
        "--server.headless=true",
        "--server.enableStaticServing=true",
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--client.showErrorDetails=none",  # a traceback with server paths never reaches a page
    ]
    if address:
        cmd.append(f"--server.address={address}")
    if max_upload_mb:  # Streamlit refuses a larger upload before it reaches the page
        cmd.append(f"--server.maxUploadSize={max(1, math.ceil(max_upload_mb))}")
    return cmd


def server_environment(base: Mapping[str, str]) -> dict[str, str]:
    """Return the server's environment: ``base`` with uvicorn's proxy-header trust off.

    >>> server_environment({"PATH": "/bin", "FORWARDED_ALLOW_IPS": "*"})["FORWARDED_ALLOW_IPS"]
    ''
    """
    return {**base, "FORWARDED_ALLOW_IPS": ""}


def run(args: argparse.Namespace) -> int:
    """``riskmap serve``: check the settings' sign-in, then become the server."""
    env = server_environment(os.environ)
    if args.config:
        config = Path(args.config).expanduser().resolve()
        if not config.is_file():
            raise ConfigError("cli.serve.no_existe_archivo_configuracion", config=config)
        env["RISKMAP_CONFIG"] = str(config)
    settings = _check_auth(Path(env["RISKMAP_CONFIG"]) if env.get("RISKMAP_CONFIG") else None)
    print(t("cli.serve.tablero_http_localhost_ctrl", port=args.port), flush=True)
    cmd = streamlit_command(args.port, args.address,
                            settings.limits.upload_mb if settings else None)
    os.chdir(APP.parent.parent)  # .streamlit/config.toml at the repository root applies
    if os.name == "posix":  # become the server: signals and the pid reach streamlit itself
        os.execve(cmd[0], cmd, env)
    return subprocess.call(cmd, env=env)


def _check_auth(config: Path | None):
    """Refuse to serve settings whose sign-in would expose real records (see module doc).

    Returns the settings (None when there are none yet).
    """
    path = config or paths.default_settings()
    if not path.is_file():
        return None  # the dashboard itself says to run `riskmap prepare`
    settings = load_settings(path, check_files=False)
    refusal = mode_refusal(settings)
    if refusal is not None:
        raise refusal
    if settings.auth.mode == "local":
        users = Users(settings.auth.users_file or paths.users_file())
        if not users.accounts():
            print(t("cli.serve.aviso_no_cuentas_nadie", path=users.path), file=sys.stderr)
    elif settings.auth.mode == "none":
        print(t("cli.serve.sin_inicio_sesion_demostracion"), flush=True)
    return settings
