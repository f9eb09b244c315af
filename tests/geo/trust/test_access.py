"""geo.trust.access and geo.trust.accounts: roles, regions, the k floor, sign-in,
lockout, sessions."""

from __future__ import annotations

import pytest

from geo.trust.access import AccessError, Principal, floor, parse_regions, parse_roles, threshold
from geo.trust.accounts import AccessStore, Users, sign_in


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


@pytest.fixture
def office(tmp_path):
    """Default limits (5 failures a name, 20 an address a day); the attacker has an account."""
    users = Users(tmp_path / "usuarios.toml", fast_hash=True)
    users.add("ana", "planificador", regions=("08",), password="una clave bien larga")
    users.add("mallory", "investigador", password="mi propia cuenta valida")
    return users, AccessStore(tmp_path / "acceso.sqlite")


def test_spraying_from_one_address_is_throttled_whatever_succeeds_between(office):
    users, access = office
    here, t, device = "203.0.113.9", 5_000_000.0, ""
    for i in range(20):  # one guess per name: no name is ever near its own lock
        assert not sign_in(users, access, f"victima{i}", "Password1234", now=t, client=here).ok
        own = sign_in(users, access, "mallory", "mi propia cuenta valida", now=t + 1,
                      client=here, device=device)
        assert own.ok  # a success on another account clears nothing
        device, t = own.device, t + 2
    throttled = sign_in(users, access, "victima20", "Password1234", now=t, client=here)
    assert not throttled.ok and not throttled.checked and throttled.wait_until is not None
    assert throttled.locked_until is None  # a wait, not a lock: it ends by itself
    assert "desde su red" in throttled.message("es") and "your network" in throttled.message("en")
    # the right password of an account never used from here waits too (no password oracle)
    assert not sign_in(users, access, "ana", "una clave bien larga", now=t, client=here).ok
    # the attacker's own device cookie is for its own account, not for the names it sprays
    assert not sign_in(users, access, "victima21", "x", now=t, client=here,
                       device=own.device).ok
    # another address is untouched
    assert sign_in(users, access, "ana", "una clave bien larga", now=t, client="198.51.100.7").ok
    # the waits grow: 30 s after the 20th failure, then 60 s, 120 s ... at most 15 minutes
    first = throttled.wait_until - (t - 2)
    assert first == pytest.approx(30)
    after = sign_in(users, access, "victima22", "x", now=throttled.wait_until + 1, client=here)
    assert after.checked and not after.ok
    assert after.wait_until - (throttled.wait_until + 1) == pytest.approx(60)
    assert access.address_wait(here, now=after.wait_until + 1) is None  # then it ends


def test_the_old_spraying_pattern_is_now_slowed(office):
    """57 failures from one address with the attacker's own sign-ins between: never locked."""
    users, access = office
    here, t, checked = "203.0.113.9", 6_000_000.0, 0
    for i in range(57):
        result = sign_in(users, access, f"nombre{i}", "x", now=t, client=here)
        checked += result.checked
        sign_in(users, access, "mallory", "mi propia cuenta valida", now=t, client=here)
        t += 5  # one guess every 5 seconds
    assert checked < 26  # 20 free, then waits of 30 s, 60 s, 120 s, ... (was: all 57)


def test_a_known_browser_gets_in_behind_a_throttled_address_and_a_locked_name(office):
    users, access = office
    proxy, t = "127.0.0.1", 7_000_000.0  # everyone behind one proxy
    mine = sign_in(users, access, "ana", "una clave bien larga", now=t, client=proxy)
    assert mine.ok and mine.device
    for i in range(25):  # an attacker behind the same proxy: spraying, then ana's name
        sign_in(users, access, f"otro{i}", "x", now=t + 1 + i, client=proxy)
    for i in range(5):
        sign_in(users, access, "ana", "adivinanza", now=t + 30 + i, client="198.51.100.66")
    assert access.locked_until("ana", now=t + 40) is not None  # the name lock stays ...
    assert access.address_wait(proxy, now=t + 40) is not None  # ... and the address waits
    stranger = sign_in(users, access, "ana", "una clave bien larga", now=t + 40, client=proxy)
    assert not stranger.ok  # without the device cookie: refused unchecked
    again = sign_in(users, access, "ana", "una clave bien larga", now=t + 40, client=proxy,
                    device=mine.device)
    assert again.ok and again.device and again.device != mine.device  # ... with it: in
    # a device cookie serves once (a new one each sign-in), and only its own account
    assert access.known_device(mine.device, "ana", users, now=t + 41) is None
    assert access.known_device(again.device, "mallory", users, now=t + 41) is None


def test_a_known_browser_has_its_own_failures_then_is_forgotten(office):
    users, access = office
    t = 8_000_000.0
    device = sign_in(users, access, "ana", "una clave bien larga", now=t, client="10.0.0.5").device
    results = [sign_in(users, access, "ana", "mal", now=t + 1 + i, client="10.0.0.5",
                       device=device) for i in range(5)]
    assert [r.remaining for r in results[:4]] == [4, 3, 2, 1]
    assert access.known_device(device, "ana", users, now=t + 10) is None  # forgotten
    assert access.failures_left("ana", now=t + 10) == 5  # and they never locked the name


def test_a_new_password_forgets_the_devices(office):
    users, access = office
    device = sign_in(users, access, "ana", "una clave bien larga").device
    assert access.known_device(device, "ana", users) is not None
    users.passwd("ana", "otra clave bien larga")
    assert access.known_device(device, "ana", users) is None
