"""Password hashing, tokens and the failed-login limit, on a real SQLite database."""

from __future__ import annotations

import time

import pytest

from viewer.errors import SpoolviewError
from viewer.server.auth import (
    Authenticator,
    BadUserName,
    RateLimited,
    TokenInvalid,
    check_user_name,
    hash_password,
    token_hash,
    verify_password,
)
from viewer.server.db import Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'auth.db'}")
    database.add_user("alice", hash_password("s3cret"))
    yield database
    database.dispose()


def make_auth(db: Database, **kw) -> Authenticator:
    options = dict(token_seconds=60, window_seconds=600, max_per_user=3, max_per_address=5)
    options.update(kw)
    return Authenticator(db, **options)


def test_hash_is_scrypt_with_a_salt_per_password():
    a, b = hash_password("same"), hash_password("same")
    assert a != b
    assert a.startswith("scrypt$16384$8$1$")
    assert "same" not in a
    assert verify_password("same", a)
    assert not verify_password("other", a)


def test_verify_refuses_missing_or_garbled_hashes():
    assert not verify_password("x", None)
    assert not verify_password("x", "md5$abc")
    assert not verify_password("x", "scrypt$16384$8$1$zz$zz")


@pytest.mark.parametrize("password", ["", "x" * 1025])
def test_unusable_passwords_are_refused(password):
    with pytest.raises(SpoolviewError):
        hash_password(password)


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "a\nb", "é"])
def test_bad_user_names(name):
    with pytest.raises(BadUserName):
        check_user_name(name)


def test_login_gives_a_token_stored_only_hashed(db):
    auth = make_auth(db)
    token, expires = auth.login("alice", "s3cret", "127.0.0.1")
    assert expires > time.time()
    assert db.token(token) is None  # the token itself is not a key
    assert db.token(token_hash(token)).user == "alice"
    assert auth.check(token).user == "alice"


def test_wrong_password_and_unknown_user_give_none(db):
    auth = make_auth(db)
    assert auth.login("alice", "nope", "127.0.0.1") is None
    assert auth.login("bob", "s3cret", "127.0.0.1") is None


def test_check_refuses_forged_expired_and_logged_out_tokens(db):
    auth = make_auth(db, token_seconds=-1)
    token, _ = auth.login("alice", "s3cret", "127.0.0.1")
    with pytest.raises(TokenInvalid) as expired:
        auth.check(token)
    assert expired.value.reason == "expired"
    with pytest.raises(TokenInvalid) as forged:
        auth.check("forged")
    assert forged.value.reason == "unknown"
    auth = make_auth(db)
    token, _ = auth.login("alice", "s3cret", "127.0.0.1")
    auth.logout(auth.check(token))
    with pytest.raises(TokenInvalid):
        auth.check(token)


def test_rate_limit_per_user_blocks_even_the_right_password(db):
    auth = make_auth(db)
    for _ in range(3):
        assert auth.login("alice", "bad", "10.0.0.1") is None
    with pytest.raises(RateLimited) as limited:
        auth.login("alice", "s3cret", "10.0.0.2")
    assert 500 < limited.value.retry_after <= 600  # what is left of the window


def test_rate_limit_per_address_counts_failures_only(db):
    auth = make_auth(db, max_per_user=100, max_per_address=2)
    assert auth.login("u1", "bad", "10.0.0.9") is None
    assert auth.login("u2", "bad", "10.0.0.9") is None
    with pytest.raises(RateLimited):  # a name that failed from this address: refused unchecked
        auth.login("u1", "bad", "10.0.0.9")
    assert auth.login("u1", "bad", "10.0.0.8") is None  # another address is not concerned
    assert auth.login("alice", "s3cret", "10.0.0.9") is not None  # another user from it still logs in
    assert auth.login("alice", "s3cret", "10.0.0.9") is not None  # successes do not count


def test_user_attempts_are_counted_atomically_across_threads(db):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: db.bump("user:x", time.time(), 600)[0], range(40)))
    assert sorted(counts) == list(range(1, 41))


def test_success_clears_the_users_failures(db):
    auth = make_auth(db)
    auth.login("alice", "bad", "10.0.0.1")
    auth.login("alice", "bad", "10.0.0.1")
    assert auth.login("alice", "s3cret", "10.0.0.1") is not None
    auth.login("alice", "bad", "10.0.0.1")
    auth.login("alice", "bad", "10.0.0.1")
    assert auth.login("alice", "s3cret", "10.0.0.1") is not None


def test_failures_outside_the_window_do_not_count(db):
    auth = make_auth(db, window_seconds=0.0)
    for _ in range(5):
        auth.login("alice", "bad", "10.0.0.1")
    assert auth.login("alice", "s3cret", "10.0.0.1") is not None


def test_counters_are_shared_through_the_database(tmp_path, db):
    other = Database(db.url)  # a second worker process would open the same URL
    for _ in range(3):
        make_auth(db).login("alice", "bad", "10.0.0.1")
    with pytest.raises(RateLimited):
        make_auth(other).login("alice", "s3cret", "10.0.0.1")
    other.dispose()


# -- SASLprep (RFC 4013): one password however it is typed; old hashes still work ----------------

PRECOMPOSED, DECOMPOSED, NO_BREAK = "café crème", "cafe\u0301 cre\u0300me", "café\u00a0crème"


@pytest.mark.parametrize("typed", [PRECOMPOSED, DECOMPOSED, NO_BREAK])
def test_a_password_set_one_way_logs_in_typed_any_way(db, typed):
    db.add_user("eve", hash_password(DECOMPOSED))
    auth = make_auth(db)
    assert auth.login("eve", typed, "127.0.0.1") is not None
    assert auth.login("eve", "cafe crème", "127.0.0.1") is None  # another password is still another password


def test_a_hash_made_before_passwords_were_prepared_still_works_and_is_rehashed(db):
    from viewer.server.auth import _hash

    legacy = _hash(DECOMPOSED)  # what hash_password stored before SASLprep: the password as typed
    db.add_user("old", legacy)
    auth = make_auth(db)
    assert auth.login("old", PRECOMPOSED, "127.0.0.1") is None  # the old hash knows only the typed form
    token, _expires = auth.login("old", DECOMPOSED, "127.0.0.1")
    rehashed = db.password_hash("old")
    assert rehashed != legacy and verify_password(PRECOMPOSED, rehashed)
    assert auth.check(token).user == "old"  # the rehash ended no session
    assert auth.login("old", PRECOMPOSED, "127.0.0.1") is not None  # now every form logs in
    assert auth.login("old", NO_BREAK, "127.0.0.1") is not None
    assert db.password_hash("old") == rehashed  # a prepared match is not rehashed again


def test_an_old_hash_of_a_password_saslprep_refuses_still_matches_as_typed_and_is_kept(db):
    from viewer.server.auth import _hash

    legacy = _hash("tab\there")  # a control character: no one can set it now
    db.add_user("tab", legacy)
    auth = make_auth(db)
    assert auth.login("tab", "tab\there", "127.0.0.1") is not None
    assert db.password_hash("tab") == legacy


@pytest.mark.parametrize(("password", "code"), [("mot\u0007passe", "saslprep.control"), ("a\u0221b", "saslprep.unassigned"),
                                                ("\u0627abc", "saslprep.bidi")])
def test_a_password_saslprep_refuses_cannot_be_set_and_the_error_says_why(password, code):
    with pytest.raises(SpoolviewError) as caught:
        hash_password(password)
    assert caught.value.msgid == code
    assert password not in str(caught.value)
