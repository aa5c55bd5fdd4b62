"""core/auth: API keys (hashed, shown once, revocable), the token bucket, ratings and thread metadata."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.accounts import service as accounts
from core.auth import ratings, thread_metadata
from core.auth import service as keys
from core.auth.models import ApiKey
from core.auth.ratelimit import RateLimited, RateLimiter
from core.chats import service as chats
from core.errors import InvalidRequest, NotFound


@pytest.fixture
def two_tenants(session):
    a = accounts.create_account(session, name="Acme", plan="pro")
    ann = accounts.create_user(session, account_id=a.id, email="ann@acme.io", name="Ann", role="admin")
    al = accounts.create_user(session, account_id=a.id, email="al@acme.io", name="Al")
    b = accounts.create_account(session, name="Beta", plan="starter")
    bob = accounts.create_user(session, account_id=b.id, email="bob@beta.io", name="Bob", role="admin")
    return a.id, ann.id, al.id, b.id, bob.id


def test_key_is_shown_once_stored_hashed_and_resolves_to_its_owner(session, now, two_tenants) -> None:
    a, ann, _, _, _ = two_tenants
    created = keys.create_api_key(session, account_id=a, user_id=ann, now=now, name="laptop")
    secret = created.secret
    assert secret.startswith(f"aik_{created.key.prefix}_") and len(secret) >= 4 + 9 + 43
    row = session.scalar(select(ApiKey).where(ApiKey.id == created.key.id))
    assert secret not in (row.key_hash, row.prefix, row.name) and row.key_hash == keys.hash_key(secret)
    who = keys.authenticate(session, secret=secret, now=now)
    assert (who.account_id, who.user_id, who.email, who.role) == (a, ann, "ann@acme.io", "admin")
    assert row.last_used_at == now


@pytest.mark.parametrize(
    "bad", [None, "", "nope", "aik_00000000_" + "x" * 43, "Bearer aik_", "aik_zz_short"], ids=repr
)
def test_anything_but_a_live_key_is_refused_with_one_message(session, now, two_tenants, bad) -> None:
    with pytest.raises(keys.InvalidApiKey, match="missing, malformed, unknown or revoked"):
        keys.authenticate(session, secret=bad, now=now)


def test_tampered_secret_with_a_real_prefix_is_refused(session, now, two_tenants) -> None:
    a, ann, *_ = two_tenants
    secret = keys.create_api_key(session, account_id=a, user_id=ann, now=now).secret
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    with pytest.raises(keys.InvalidApiKey):
        keys.authenticate(session, secret=tampered, now=now)


def test_revoked_key_stops_working_and_listing_never_shows_secrets(session, now, two_tenants) -> None:
    a, ann, al, *_ = two_tenants
    k1 = keys.create_api_key(session, account_id=a, user_id=ann, now=now)
    k2 = keys.create_api_key(session, account_id=a, user_id=al, now=now)
    listed = keys.list_api_keys(session, account_id=a)
    assert [k.id for k in listed] == [k1.key.id, k2.key.id]
    assert all(not hasattr(k, "secret") for k in listed)
    assert [k.id for k in keys.list_api_keys(session, account_id=a, user_id=al)] == [k2.key.id]
    revoked = keys.revoke_api_key(session, account_id=a, key=k1.key.prefix, now=now + timedelta(hours=1))
    assert revoked.revoked_at is not None
    with pytest.raises(keys.InvalidApiKey):
        keys.authenticate(session, secret=k1.secret, now=now)
    assert keys.authenticate(session, secret=k2.secret, now=now).user_id == al
    # revoking by id, or by pasting the whole secret, works too
    assert keys.revoke_api_key(session, account_id=a, key=k2.secret, now=now).id == k2.key.id


def test_keys_are_scoped_to_their_account(session, now, two_tenants) -> None:
    a, ann, _, b, bob = two_tenants
    k = keys.create_api_key(session, account_id=a, user_id=ann, now=now)
    with pytest.raises(NotFound):
        keys.create_api_key(session, account_id=b, user_id=ann, now=now)  # Ann is not in Beta
    with pytest.raises(NotFound, match="No API key"):
        keys.revoke_api_key(session, account_id=b, key=str(k.key.id), now=now)
    assert keys.list_api_keys(session, account_id=b) == []
    assert keys.authenticate(session, secret=k.secret, now=now).account_id == a


def test_resolve_owner_by_id_or_name_with_suggestions(session, two_tenants) -> None:
    a, ann, *_ = two_tenants
    assert keys.resolve_owner(session, account="acme", user="ANN@acme.io") == (a, ann)
    assert keys.resolve_owner(session, account=str(a)) == (a, None)
    with pytest.raises(NotFound, match="Did you mean 'Acme'"):
        keys.resolve_owner(session, account="Acmee")
    with pytest.raises(NotFound, match="ann@acme.io"):
        keys.resolve_owner(session, account="Acme", user="an@acme.io")


def test_token_bucket_allows_bursts_then_says_how_long_to_wait() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.acquire("a", now=100.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire("a", now=100.0) == pytest.approx(1.0)
    assert limiter.acquire("b", now=100.0) == 0  # another account has its own bucket
    with pytest.raises(RateLimited) as err:
        limiter.check("a", now=100.5)
    assert err.value.retry_after == 1 and "60 per minute" in err.value.message
    assert limiter.acquire("a", now=101.5) == 0  # refilled at one per second
    assert RateLimiter(per_minute=0, burst=1).acquire("a", now=0) == 0  # 0 turns it off


def test_ratings_replace_per_answer_and_stay_private(session, now, two_tenants) -> None:
    a, ann, al, b, bob = two_tenants
    t = chats.create_thread(session, account_id=a, user_id=ann, now=now)
    first = ratings.rate_answer(
        session,
        account_id=a,
        user_id=ann,
        thread_id=t.id,
        rating="up",
        target="m1",
        answer="42 contacts",
        now=now,
    )
    again = ratings.rate_answer(
        session,
        account_id=a,
        user_id=ann,
        thread_id=t.id,
        rating="DOWN",
        target="m1",
        comment=" wrong number ",
        now=now,
    )
    assert again.id == first.id and again.rating == "down" and again.comment == "wrong number"
    assert again.answer == "42 contacts"
    ratings.rate_answer(session, account_id=a, user_id=ann, thread_id=t.id, rating="up", now=now)
    assert [r.target for r in ratings.list_ratings(session, account_id=a)] == ["m1", "thread"]
    with pytest.raises(InvalidRequest, match="choose one of: 'up', 'down'"):
        ratings.rate_answer(session, account_id=a, user_id=ann, thread_id=t.id, rating="meh", now=now)
    # another user of the account, and another account, cannot rate (or find) Ann's chat
    for account_id, user_id in ((a, al), (b, bob)):
        with pytest.raises(NotFound):
            ratings.rate_answer(
                session, account_id=account_id, user_id=user_id, thread_id=t.id, rating="up", now=now
            )
    assert ratings.list_ratings(session, account_id=b) == []
    assert ratings.list_ratings(session, account_id=a, user_id=al) == []


def test_thread_metadata_merges_and_is_owner_checked(session, now, two_tenants) -> None:
    a, ann, al, b, bob = two_tenants
    t = chats.create_thread(session, account_id=a, user_id=ann, now=now)
    thread_metadata.set_metadata(session, account_id=a, user_id=ann, thread_id=t.id, metadata={"x": 1})
    merged = thread_metadata.set_metadata(
        session, account_id=a, user_id=ann, thread_id=t.id, metadata={"y": "z"}
    )
    assert merged == {"x": 1, "y": "z"}
    assert thread_metadata.get_metadata(session, account_id=a, thread_ids=[t.id]) == {t.id: merged}
    assert thread_metadata.get_metadata(session, account_id=b, thread_ids=[t.id]) == {}
    with pytest.raises(NotFound):
        thread_metadata.set_metadata(session, account_id=b, user_id=bob, thread_id=t.id, metadata={"x": 2})
    with pytest.raises(InvalidRequest, match="JSON object"):
        thread_metadata.set_metadata(session, account_id=a, user_id=ann, thread_id=t.id, metadata=["x"])
    with pytest.raises(InvalidRequest, match="under"):
        thread_metadata.set_metadata(
            session, account_id=a, user_id=ann, thread_id=t.id, metadata={"x": "y" * 20000}
        )
