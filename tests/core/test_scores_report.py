"""Reading scores: top-scored contacts (order, ties, limit), contact or deal points, retroactive points."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.automations import scores_report as reports
from core.automations import service as automations
from core.automations.models import ScoreValue
from core.contacts.models import Contact, ContactTag, Tag
from core.crm.models import Deal, Pipeline, Stage
from core.errors import InvalidRequest, NotFound

OPENERS = {"conditions": [{"type": "tag", "tag": "opener", "op": "has"}]}
CLICKERS = {"conditions": [{"type": "tag", "tag": "clicker", "op": "has"}]}
RULE = {"condition": OPENERS, "points": 5}


def _account(session: Session, name: str = "Acme", plan: str = "pro", addons: list[str] | None = None) -> int:
    return accounts.create_account(session, name=name, plan=plan, addons=addons or ["pipelines"]).id


def _contact(
    session: Session, aid: int, email: str, first: str | None = None, last: str | None = None
) -> Contact:
    c = Contact(account_id=aid, email=email, first_name=first, last_name=last)
    session.add(c)
    session.flush()
    return c


def _points(session: Session, aid: int, score_id: int, contact: Contact, points: int, now: datetime) -> None:
    automations.set_score_value(
        session, account_id=aid, score_id=score_id, contact_id=contact.id, points=points, now=now
    )


def _tags(session: Session, aid: int) -> None:
    session.add_all([Tag(account_id=aid, name="opener"), Tag(account_id=aid, name="clicker")])
    session.flush()


def _world(session: Session, now: datetime, name: str = "Acme") -> tuple[int, int, list[Contact]]:
    """An account with a Lead score and six contacts: 40, 25, 25, 10, 0 and -5 points."""
    aid = _account(session, name)
    _tags(session, aid)
    score = automations.create_score(session, account_id=aid, name="Lead score", rules=[RULE], now=now)
    people = [
        _contact(session, aid, f"p{i}@{name.lower()}.io", first, last)
        for i, (first, last) in enumerate(
            [
                ("Jane", "Doe"),
                ("John", "Smith"),
                ("Ann", "Lee"),
                ("Jane", "Roe"),
                ("Zed", "Zero"),
                ("Neg", "Ative"),
            ]
        )
    ]
    for person, points in zip(people, [40, 25, 25, 10, 0, -5], strict=True):
        _points(session, aid, score.id, person, points, now)
    return aid, score.id, people


def test_top_scored_contacts_highest_first_ties_share_a_rank(session: Session, now: datetime) -> None:
    aid, score_id, people = _world(session, now)
    out = reports.top_scored_contacts(session, account_id=aid)
    assert out.score == "Lead score" and out.scored == 4
    assert [(i.rank, i.email, i.points) for i in out.items] == [
        (1, people[0].email, 40),
        (2, people[1].email, 25),
        (2, people[2].email, 25),
        (4, people[3].email, 10),
    ]
    assert out.items[0].name == "Jane Doe"
    # Zero and negative points are not "top": they are left out.
    assert {people[4].id, people[5].id}.isdisjoint({i.contact_id for i in out.items})


def test_top_scored_contacts_limit_and_named_score(session: Session, now: datetime) -> None:
    aid, score_id, people = _world(session, now)
    top2 = reports.top_scored_contacts(session, account_id=aid, score="lead SCORE", limit=2)
    assert [i.contact_id for i in top2.items] == [people[0].id, people[1].id] and top2.scored == 4
    assert (
        reports.top_scored_contacts(session, account_id=aid, score=str(score_id), limit=1).items[0].points
        == 40
    )
    for bad in (0, 101, -1):
        with pytest.raises(InvalidRequest, match="limit"):
            reports.top_scored_contacts(session, account_id=aid, limit=bad)


def test_which_score_when_several_and_none(session: Session, now: datetime) -> None:
    aid, _score_id, _people = _world(session, now)
    automations.create_score(session, account_id=aid, name="Fit", rules=[RULE], now=now)
    with pytest.raises(
        InvalidRequest, match=r"^Which score\? This account has 2 contact scores: 'Fit', 'Lead score'"
    ):
        reports.top_scored_contacts(session, account_id=aid)
    # An inactive score steps aside when exactly one stays active.
    fit = automations.find_score(session, account_id=aid, name="Fit")
    automations.update_score(session, account_id=aid, score_id=fit.id, active=False)
    assert reports.top_scored_contacts(session, account_id=aid).score == "Lead score"
    with pytest.raises(NotFound, match="No score named 'Lead scor'. Did you mean 'Lead score'"):
        reports.top_scored_contacts(session, account_id=aid, score="Lead scor")
    empty = _account(session, "Empty", plan="starter", addons=[])
    with pytest.raises(NotFound, match="no contact scores yet.*Starter"):
        reports.top_scored_contacts(session, account_id=empty)


def test_deal_score_is_not_a_contact_score(session: Session, now: datetime) -> None:
    aid, _score_id, people = _world(session, now)
    automations.create_score(session, account_id=aid, name="Deal fit", target="deal", rules=[RULE], now=now)
    with pytest.raises(
        InvalidRequest, match="'Deal fit' is a deal score, not a contact score; use get_deal_score"
    ):
        reports.top_scored_contacts(session, account_id=aid, score="Deal fit")
    with pytest.raises(InvalidRequest, match="is a deal score"):
        reports.contact_scores(session, account_id=aid, contact=people[0].email, score="Deal fit")


def test_contact_scores_by_email_name_or_id_with_rank(session: Session, now: datetime) -> None:
    aid, score_id, people = _world(session, now)
    other = automations.create_score(session, account_id=aid, name="Activity", rules=[RULE], now=now)
    by_name = reports.contact_scores(session, account_id=aid, contact="jane doe")
    assert by_name.contact.email == people[0].email and by_name.contact.name == "Jane Doe"
    # Every contact score, by name; no stored value reads as 0 points with no rank.
    assert [(s.score, s.points, s.rank) for s in by_name.scores] == [
        ("Activity", 0, None),
        ("Lead score", 40, 1),
    ]
    ann = reports.contact_scores(session, account_id=aid, contact=people[2].email.upper(), score="Lead score")
    assert [(s.points, s.rank, s.scored) for s in ann.scores] == [(25, 2, 4)]
    assert reports.contact_scores(session, account_id=aid, contact=str(people[3].id)).scores[1].rank == 4
    assert (
        reports.contact_scores(session, account_id=aid, contact="Smith", score=str(other.id)).contact.id
        == people[1].id
    )


def test_contact_names_ambiguous_or_unknown(session: Session, now: datetime) -> None:
    aid, _score_id, _people = _world(session, now)
    with pytest.raises(
        InvalidRequest, match=r"^Which contact\? 2 contacts match 'Jane': Jane Doe <p0@acme.io>"
    ):
        reports.contact_scores(session, account_id=aid, contact="Jane")
    with pytest.raises(NotFound, match="No contact named 'Jane Doh'. Did you mean 'Jane Doe'"):
        reports.contact_scores(session, account_id=aid, contact="Jane Doh")
    with pytest.raises(NotFound, match="No contact named 'p0@acme.com'. Did you mean 'p0@acme.io'"):
        reports.contact_scores(session, account_id=aid, contact="p0@acme.com")
    with pytest.raises(NotFound, match="No contact named 'Xavier Quux'"):
        reports.contact_scores(session, account_id=aid, contact="Xavier Quux")


def _deal_setup(session: Session, aid: int) -> tuple[Deal, Deal]:
    pipes = []
    for name in ("Sales", "Wholesale"):
        p = Pipeline(account_id=aid, name=name)
        session.add(p)
        session.flush()
        st = Stage(account_id=aid, pipeline_id=p.id, name="Lead", position=0)
        session.add(st)
        session.flush()
        pipes.append((p, st))
    deals = [
        Deal(account_id=aid, pipeline_id=p.id, stage_id=st.id, title=f"{p.name} deal") for p, st in pipes
    ]
    session.add_all(deals)
    session.flush()
    return deals[0], deals[1]


def test_deal_scores_apply_to_their_pipeline(session: Session, now: datetime) -> None:
    aid = _account(session)
    _tags(session, aid)
    sales_deal, wholesale_deal = _deal_setup(session, aid)
    health = automations.create_score(
        session, account_id=aid, name="Health", target="deal", pipeline="Sales", rules=[RULE], now=now
    )
    every = automations.create_score(
        session, account_id=aid, name="Any deal", target="deal", rules=[RULE], now=now
    )
    automations.set_score_value(
        session, account_id=aid, score_id=health.id, deal_id=sales_deal.id, points=15, now=now
    )
    out = reports.deal_scores(session, account_id=aid, deal="sales deal")
    assert out.deal.pipeline == "Sales"
    assert [(s.score, s.points, s.rank) for s in out.scores] == [("Any deal", 0, None), ("Health", 15, 1)]
    assert [
        s.score for s in reports.deal_scores(session, account_id=aid, deal=str(wholesale_deal.id)).scores
    ] == ["Any deal"]
    with pytest.raises(InvalidRequest, match="'Health' scores another pipeline's deals"):
        reports.deal_scores(session, account_id=aid, deal="Wholesale deal", score="Health")
    automations.set_score_value(
        session, account_id=aid, score_id=every.id, deal_id=wholesale_deal.id, points=-2, now=now
    )
    assert (
        reports.deal_scores(session, account_id=aid, deal="Wholesale deal", score="any deal").scores[0].points
        == -2
    )
    with pytest.raises(NotFound, match="No deal named 'Sales dela'. Did you mean 'Sales deal'"):
        reports.deal_scores(session, account_id=aid, deal="Sales dela")


def test_new_contact_score_is_retroactive(session: Session, now: datetime) -> None:
    aid = _account(session)
    _tags(session, aid)
    tags = {t.name: t.id for t in session.scalars(select(Tag).where(Tag.account_id == aid))}
    both, opener, clicker, nobody = (
        _contact(session, aid, f"{n}@acme.io") for n in ("both", "opener", "clicker", "nobody")
    )
    session.add_all(
        [
            ContactTag(account_id=aid, contact_id=c.id, tag_id=tags[t])
            for c, t in ((both, "opener"), (both, "clicker"), (opener, "opener"), (clicker, "clicker"))
        ]
    )
    session.flush()
    score = automations.create_score(
        session,
        account_id=aid,
        name="Heat",
        now=now,
        rules=[
            {"condition": OPENERS, "points": 5, "expires_days": 30},
            {"condition": CLICKERS, "points": -5},
        ],
    )
    out = reports.score_contacts_retroactively(session, account_id=aid, score_id=score.id, now=now)
    # "both" adds up to 0 points, so only two contacts hold a value.
    assert out.scored == 2
    values = dict(
        session.execute(
            select(ScoreValue.contact_id, ScoreValue.points).where(ScoreValue.score_id == score.id)
        ).all()
    )
    assert values == {opener.id: 5, clicker.id: -5}
    with pytest.raises(InvalidRequest, match="filled in already"):
        reports.score_contacts_retroactively(session, account_id=aid, score_id=score.id, now=now)
    summary = {s.name: s for s in reports.list_score_summaries(session, account_id=aid)}["Heat"]
    assert summary.rule_count == 2 and summary.scored == 2 and summary.target.value == "contact"
    assert (
        summary.rules[0].points == 5
        and summary.rules[0].expires_days == 30
        and "opener" in summary.rules[0].when
    )


def test_tenant_isolation(session: Session, now: datetime) -> None:
    a, a_score, a_people = _world(session, now, "A")
    b, b_score, b_people = _world(session, now, "B")
    # B names A's score by id or name, A's contacts by id, email or name: never A's rows.
    for call in (
        lambda: reports.top_scored_contacts(session, account_id=b, score=str(a_score)),
        lambda: reports.contact_scores(session, account_id=b, contact=str(a_people[0].id)),
        lambda: reports.contact_scores(session, account_id=b, contact=a_people[0].email),
        lambda: reports.contact_scores(session, account_id=b, contact=b_people[0].email, score=str(a_score)),
        lambda: reports.score_contacts_retroactively(session, account_id=b, score_id=a_score, now=now),
    ):
        with pytest.raises(NotFound):
            call()
    top_b = reports.top_scored_contacts(session, account_id=b)
    assert top_b.score_id == b_score and {i.email for i in top_b.items} <= {p.email for p in b_people}
    jane_b = reports.contact_scores(session, account_id=b, contact="Jane Doe")
    assert jane_b.contact.id == b_people[0].id and jane_b.scores[0].score_id == b_score
    assert [s.id for s in reports.list_score_summaries(session, account_id=b)] == [b_score]
    # A's values are untouched by B's reads and ranks count only B's contacts.
    assert session.scalar(select(func.count()).select_from(ScoreValue).where(ScoreValue.account_id == a)) == 6
    assert jane_b.scores[0].rank == 1 and jane_b.scores[0].scored == 4


def test_top_query_reads_the_score_points_index(session: Session, now: datetime) -> None:
    aid, score_id, _people = _world(session, now)
    bind = session.get_bind()
    query = reports.top_query(account_id=aid, score_id=score_id, limit=10)
    sql = str(query.compile(bind, compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    else:
        # Six rows would be read sequentially; forbid that to see which index the planner can use.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(r[0] for r in session.execute(text("EXPLAIN " + sql)))
    assert "ix_score_values_score_points" in plan, plan
