"""geo.access and geo.accounts: roles, regions, the k floor, sign-in, lockout, sessions."""

from __future__ import annotations

import pytest

from geo.access import AccessError, Principal, floor, parse_regions, parse_roles, threshold
from geo.accounts import AccessStore, Users, sign_in


@pytest.mark.parametrize(("asked", "expected"), [
    (1, 5), (0, 5), (-3, 5), (4, 5), (5, 5), (9, 9), ("1", 5), (None, 5), ("x", 5),
    (float("nan"), 5), (1e300, 5),
])
def test_a_researcher_never_gets_below_the_floor(asked, expected):
    rosa = Principal("rosa", role="investigador")
    got = threshold(rosa, asked, {})
    assert got >= 5 and (got == expected or asked == 1e300)


def test_floors_come_from_the_settings_and_never_go_below_five():
    assert floor("investigador", {"investigador": 10}) == 10
    assert floor("investigador", {"investigador": 2}) == 5
    assert floor("planificador", {"planificador": 10}) == 1
    assert floor(None, {}) == 5  # an administrator without data role: like the strictest


def test_principal_regions():
    ana = Principal("ana", role="planificador", regions=("08",))
    assert ana.sees("080101") and not ana.sees("160101") and ana.sees("08")
    assert Principal("x", role="investigador").sees("150101")
    with pytest.raises(AccessError):
        Principal("x", role="jefe")


def test_parse_roles_and_regions_errors_are_bilingual():
    with pytest.raises(AccessError) as info:
        parse_roles("planificador,gobierno_regional")
    assert "un solo rol de datos" in info.value.es and "one data role" in info.value.en
    with pytest.raises(AccessError, match="necesita sus regiones"):
        parse_regions(None, "gobierno_regional")
    assert parse_regions("LORETO, cusco") == ("08", "16")


@pytest.fixture
def accounts(tmp_path):
    users = Users(tmp_path / "usuarios.toml", fast_hash=True)
    users.add("ana", "planificador", regions=("08",), password="una clave bien larga")
    return users, AccessStore(tmp_path / "acceso.sqlite", max_failures=3, lockout_minutes=10,
                              session_hours=8)


def test_lockout_after_repeated_failures_then_it_ends(accounts):
    users, access = accounts
    t0 = 1_000_000.0
    results = [sign_in(users, access, "ana", "mal", now=t0 + i) for i in range(3)]
    assert [r.remaining for r in results] == [2, 1, 0]
    assert results[-1].just_locked and results[-1].locked_until == pytest.approx(t0 + 2 + 600)
    # locked: even the right password is refused, and the message says until when
    locked = sign_in(users, access, "ana", "una clave bien larga", now=t0 + 60)
    assert not locked.ok and locked.locked_until is not None
    assert "bloqueado 10 minutos" in locked.message("es", 10)
    assert "locked for 10 minutes" in locked.message("en", 10)
    # after the lock, the right password works and the count starts again
    assert sign_in(users, access, "ana", "una clave bien larga", now=t0 + 2 + 601).ok
    assert access.failures_left("ana", now=t0 + 700) == 3


def test_unknown_name_gets_the_same_answer_and_is_locked_too(accounts):
    users, access = accounts
    r = sign_in(users, access, "nadie", "x", now=1.0)
    k = sign_in(users, access, "ana", "x", now=1.0)
    assert r.message("es", 10).replace("1 intento", "2 intento") == k.message(
        "es", 10).replace("1 intento", "2 intento")
    for i in range(3):
        sign_in(users, access, "nadie", "x", now=2.0 + i)
    assert access.locked_until("nadie", now=5.0) is not None


def test_sessions_expire_and_end_with_the_account(accounts, tmp_path):
    users, access = accounts
    t0 = 2_000_000.0
    token = sign_in(users, access, "ana", "una clave bien larga", now=t0).token
    assert access.principal(token, users, now=t0 + 7.9 * 3600).user == "ana"
    assert access.principal(token, users, now=t0 + 8.1 * 3600) is None  # 8 h
    token = sign_in(users, access, "ana", "una clave bien larga").token
    users.set_active("ana", False)
    assert access.principal(token, users) is None
    users.set_active("ana", True)
    users.passwd("ana", "otra clave bien larga")
    assert access.principal(token, users) is None  # opened with the old password
    assert access.principal("no-es-un-token", users) is None


def test_access_files_are_owner_only(accounts, tmp_path):
    users, access = accounts
    assert (tmp_path / "usuarios.toml").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "acceso.sqlite").stat().st_mode & 0o777 == 0o600
    text = (tmp_path / "usuarios.toml").read_text()
    assert "una clave bien larga" not in text and "$argon2id$" in text


def test_spelling_variants_of_a_name_share_its_lock(accounts):
    users, access = accounts
    t0 = 3_000_000.0
    for i in range(3):
        sign_in(users, access, "ana", "mal", now=t0 + i)
    for variant in ("ANA", " ana ", "ana" + "\u3000" * 55 + "x", "\uff41na",
                    "ana" + " " * 61 + "x"):
        result = sign_in(users, access, variant, "una clave bien larga", now=t0 + 10)
        assert not result.ok, variant  # locked: no variant opens a session or a new count


def test_many_names_from_one_address_lock_the_address(accounts):
    users, access = accounts
    t0 = 4_000_000.0
    for i in range(12):  # 3 failures x 4 from one place, each name under its own limit
        sign_in(users, access, f"nombre{i}", "mal", now=t0 + i, client="10.0.0.9")
    assert not sign_in(users, access, "ana", "una clave bien larga", now=t0 + 20,
                       client="10.0.0.9").ok
    assert sign_in(users, access, "ana", "una clave bien larga", now=t0 + 20,
                   client="10.0.0.10").ok
