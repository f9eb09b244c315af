"""Who the client is: the TCP peer, unless it is a trusted proxy ([auth] trusted_proxies).

The served behaviour (both ways of starting the server, real HTTP) is in
tests/e2e/test_signin_proxies.py; here the rule itself, the settings key and the serve
environment.
"""

from __future__ import annotations

import pytest

from geo.trust.accounts import AccessStore, Users, client_address, parse_proxies, sign_in

LOCAL = parse_proxies(["127.0.0.1", "::1"])


@pytest.mark.parametrize(("peer", "trusted", "forwarded", "real_ip", "expected"), [
    # no proxy trusted (the default): headers are ignored, whatever they say
    ("203.0.113.5", (), ["6.6.6.6"], "", "203.0.113.5"),
    ("127.0.0.1", (), ["6.6.6.6"], "7.7.7.7", "127.0.0.1"),
    # a peer that is not the trusted proxy: ignored too
    ("203.0.113.5", LOCAL, ["6.6.6.6"], "7.7.7.7", "203.0.113.5"),
    # the trusted proxy appended the address it saw; what lies left of it is the client's
    ("127.0.0.1", LOCAL, ["6.6.6.6, 198.51.100.7"], "", "198.51.100.7"),
    ("127.0.0.1", LOCAL, ["6.6.6.6", "198.51.100.7"], "", "198.51.100.7"),  # two headers
    ("::1", LOCAL, ["198.51.100.7:51234"], "", "198.51.100.7"),  # with a port
    ("127.0.0.1", LOCAL, ["[2001:db8::7]:443"], "", "2001:db8::7"),
    ("127.0.0.1", LOCAL, ["::ffff:198.51.100.7"], "", "198.51.100.7"),  # IPv4-mapped
    # two trusted proxies in a row: the first address neither of them is
    ("10.0.0.2", parse_proxies(["10.0.0.0/24", "127.0.0.1"]),
     ["6.6.6.6, 198.51.100.7, 10.0.0.3"], "", "198.51.100.7"),
    # every hop trusted: the left-most
    ("127.0.0.1", LOCAL, ["::1, 127.0.0.1"], "", "::1"),
    # junk where an address should be: stop at the last trusted hop
    ("127.0.0.1", LOCAL, ["198.51.100.7, evil"], "", "127.0.0.1"),
    # no X-Forwarded-For: X-Real-IP; neither: the proxy itself
    ("127.0.0.1", LOCAL, [], "198.51.100.7", "198.51.100.7"),
    ("127.0.0.1", LOCAL, [], "not-an-ip", "127.0.0.1"),
    ("127.0.0.1", LOCAL, [], "", "127.0.0.1"),
])
def test_client_address(peer, trusted, forwarded, real_ip, expected):
    assert client_address(peer, trusted, forwarded, real_ip) == expected


def test_a_forged_header_from_an_untrusted_peer_is_counted_against_the_peer(tmp_path):
    users = Users(tmp_path / "usuarios.toml", fast_hash=True)
    access = AccessStore(tmp_path / "acceso.sqlite", max_failures=1)  # 4 an address
    peer = "203.0.113.5"
    for i in range(4):  # each try names a fresh address: none of them is believed
        client = client_address(peer, (), [f"198.51.100.{i}"], f"192.0.2.{i}")
        sign_in(users, access, f"nombre{i}", "x", now=100.0 + i, client=client)
    assert access.address_wait(peer, now=104.0) is not None
    assert all(access.address_wait(f"198.51.100.{i}", now=104.0) is None for i in range(4))


def test_an_ipv6_client_counts_by_its_64_network(tmp_path):
    users = Users(tmp_path / "usuarios.toml", fast_hash=True)
    access = AccessStore(tmp_path / "acceso.sqlite", max_failures=1)
    for i in range(4):  # a fresh address of the same /64 each time
        sign_in(users, access, f"nombre{i}", "x", now=100.0 + i, client=f"2001:db8:0:1::{i + 1}")
    assert access.address_wait("2001:db8:0:1::ffff", now=104.0) is not None
    assert access.address_wait("2001:db8:0:2::1", now=104.0) is None


# --- [auth] trusted_proxies ---------------------------------------------------------------
def _settings(tmp_path, line: str):
    from geo.config import load_settings

    path = tmp_path / "settings.toml"
    path.write_text(f'config_version = 1\n[auth]\nmode = "local"\n{line}\n', encoding="utf-8")
    return load_settings(path, check_files=False)


def test_no_proxy_is_trusted_by_default(tmp_path):
    assert _settings(tmp_path, "").auth.trusted_proxies == ()
    assert _settings(tmp_path, 'trusted_proxies = ["127.0.0.1", "::1", "10.1.2.0/24"]'
                     ).auth.trusted_proxies == ("127.0.0.1/32", "::1/128", "10.1.2.0/24")


@pytest.mark.parametrize(("value", "es", "en"), [
    ('"127.0.0.1"', "debe ser una lista", "must be a list"),
    ("[1]", "debe ser una lista", "must be a list"),
    ('["nginx.interno"]', "no es una dirección IP", "is not a valid IP address"),
    ('["10.0.0.300"]', "no es una dirección IP", "is not a valid IP address"),
    ('["0.0.0.0/0"]', "demasiadas direcciones", "too many addresses"),
    ('["::/0"]', "demasiadas direcciones", "too many addresses"),
])
def test_a_bad_trusted_proxy_names_the_file_and_key(tmp_path, value, es, en):
    from geo.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        _settings(tmp_path, f"trusted_proxies = {value}")
    for message, needle in ((info.value.es, es), (info.value.en, en)):
        assert "settings.toml" in message and "auth.trusted_proxies" in message
        assert needle in message


def test_the_documented_settings_name_the_key():
    from geo import paths
    from geo.config import load_settings

    text = (paths.CONFIG_DIR / "settings.toml").read_text(encoding="utf-8")
    assert "trusted_proxies = []" in text
    assert load_settings(paths.CONFIG_DIR / "settings.toml",
                         check_files=False).auth.trusted_proxies == ()


# --- riskmap serve -------------------------------------------------------------------------
def test_riskmap_serve_turns_uvicorns_own_proxy_trust_off():
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from dashboard.commands.serve import server_environment

    env = server_environment({"PATH": "/bin", "FORWARDED_ALLOW_IPS": "*"})
    assert env["FORWARDED_ALLOW_IPS"] == "" and env["PATH"] == "/bin"
    # what uvicorn makes of it: no forwarded header is believed from anyone
    middleware = ProxyHeadersMiddleware(None, trusted_hosts=env["FORWARDED_ALLOW_IPS"])
    assert "127.0.0.1" not in middleware.trusted_hosts
    assert "127.0.0.1" in ProxyHeadersMiddleware(None).trusted_hosts  # its default: believed
