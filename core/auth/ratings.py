"""Answer ratings: a thumbs up or down with an optional comment, kept per answer and exportable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth.models import AnswerRating
from core.auth.schemas import Rating, RatingOut
from core.chats import service as chats
from core.errors import InvalidRequest, invalid_choice

COMMENT_MAX = 2000
TARGET_MAX = 120
WHOLE_THREAD = "thread"


def rate_answer(
    session: Session,
    *,
    account_id: int,
    user_id: int,
    thread_id: str,
    rating: str,
    now: datetime,
    target: str | None = None,
    comment: str | None = None,
    answer: str | None = None,
) -> RatingOut:
    """Rate an answer in one of this user's chats; rating the same answer again replaces the rating."""
    try:
        value = Rating(rating.strip().lower() if isinstance(rating, str) else rating)
    except ValueError:
        raise invalid_choice("rating", rating, [r.value for r in Rating]) from None
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        raise InvalidRequest(
            f"The comment has {len(comment)} characters; keep it to {COMMENT_MAX}.", field="comment"
        )
    key = (target or "").strip() or WHOLE_THREAD
    if len(key) > TARGET_MAX:
        raise InvalidRequest(f"Answer id {key[:40]!r}... is too long (max {TARGET_MAX}).", field="message_id")
    chats.get_thread(session, account_id=account_id, user_id=user_id, thread_id=thread_id)
    row = session.scalar(
        select(AnswerRating).where(
            AnswerRating.account_id == account_id,
            AnswerRating.user_id == user_id,
            AnswerRating.thread_id == thread_id,
            AnswerRating.target == key,
        )
    )
    if row is None:
        row = AnswerRating(
            account_id=account_id,
            user_id=user_id,
            thread_id=thread_id,
            target=key,
            created_at=now,
            updated_at=now,
            rating=value,
        )
        session.add(row)
    row.rating, row.comment, row.updated_at = value, comment, now
    if answer is not None:
        row.answer = answer
    session.flush()
    return RatingOut.model_validate(row)


def list_ratings(session: Session, *, account_id: int, user_id: int | None = None) -> list[RatingOut]:
    """Return the account's ratings (or one user's), oldest first."""
    query = select(AnswerRating).where(AnswerRating.account_id == account_id)
    if user_id is not None:
        query = query.where(AnswerRating.user_id == user_id)
    rows = session.scalars(query.order_by(AnswerRating.created_at, AnswerRating.id)).all()
    return [RatingOut.model_validate(r) for r in rows]
