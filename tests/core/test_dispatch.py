"""Audience figures, sending once to the right people, troubleshooting and campaign lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import service as accounts
from core.billing import service as billing
from core.campaigns import service as campaigns
from core.campaigns.dispatch import send_now
from core.campaigns.lookup import resolve_campaign_id
from core.campaigns.models import CampaignSend
from core.campaigns.recipients import audience_figures
from core.campaigns.troubleshoot import diagnose_campaign, last_problem_campaign
from core.contacts import service as contacts
from core.errors import Conflict, LimitExceeded, NotFound
from core.segments import service as segments

BLOCKS = [{"type": "text", "text": "Hello %FIRSTNAME%"}, {"type": "button", "label": "Shop", "url": "https://shop.example.com"}]


def _world(session: Session, now):
    acc = accounts.create_account(session, name="Send Co", plan="pro", addons=["sms"], timezone="UTC")
    contacts.create_list(session, account_id=acc.id, name="Newsletter", allows_sms=True)
    people = {}
    for name in ["ann", "bob", "cat", "dan", "eve"]:
        c = contacts.create_contact(
            session, account_id=acc.id, email=f"{name}@x.io", first_name=name.title(), phone="+14155550100",
            timezone="America/New_York", country="US", now=now,
        )
        contacts.subscribe(
            session, account_id=acc.id, contact_id=c.id, list_ref="Newsletter", now=now,
            sms_consent=name in ("ann", "bob"), sms_consent_source="web form" if name in ("ann", "bob") else None,
        )
        people[name] = c.id
    contacts.unsubscribe(session, account_id=acc.id, contact_id=people["cat"], list_ref="Newsletter", now=now)
    contacts.mark_bounced(session, account_id=acc.id, contact_id=people["dan"], now=now)
    contacts.add_tag(session, account_id=acc.id, contact_id=people["eve"], tag="VIP")
    contacts.add_tag(session, account_id=acc.id, contact_id=people["ann"], tag="VIP")
    return acc, people


def _email(session, acc, now, **kw):
    return campaigns.create_campaign(
        session, account_id=acc.id, name=kw.pop("name", "Spring sale"), now=now, subject="Spring is here",
        from_name="Shop", from_email="hi@shop.example.com", blocks=BLOCKS, lists=["Newsletter"], **kw,
    )


def test_figures_exclude_unsubscribed_and_bounced_and_send_only_once(session: Session, now) -> None:
    acc, people = _world(session, now)
    c = _email(session, acc, now)
    fig = audience_figures(session, account_id=acc.id, campaign_id=c.id, now=now)
    assert (fig.members, fig.recipients, fig.excluded_unsubscribed, fig.excluded_bounced) == (5, 3, 1, 1)
    result = send_now(session, account_id=acc.id, campaign_id=c.id, now=now)
    assert result.sent == 3
    sent_to = set(session.scalars(select(CampaignSend.contact_id).where(CampaignSend.campaign_id == c.id)))
    assert sent_to == {people["ann"], people["bob"], people["eve"]}
    with pytest.raises(Conflict):
        send_now(session, account_id=acc.id, campaign_id=c.id, now=now)
    assert session.scalar(select(func.count()).where(CampaignSend.campaign_id == c.id)) == 3


def test_segment_narrows_the_audience(session: Session, now) -> None:
    acc, people = _world(session, now)
    tree = {"version": 1, "root": {"type": "group", "match": "all", "conditions": [{"type": "tag", "tag": "VIP", "op": "has"}]}}
    segments.create_segment(session, account_id=acc.id, name="VIPs", tree=tree, now=now)
    c = _email(session, acc, now, segment="VIPs")
    fig = audience_figures(session, account_id=acc.id, campaign_id=c.id, now=now)
    assert (fig.members, fig.recipients) == (2, 2)


def test_sms_needs_consent_credits_and_quiet_hours(session: Session, now) -> None:
    acc, people = _world(session, now)
    c = campaigns.create_campaign(
        session, account_id=acc.id, name="Flash", now=now, channel="sms", from_name="Shop",
        sms_body="Flash sale today only. Reply STOP to opt out", lists=["Newsletter"],
    )
    fig = audience_figures(session, account_id=acc.id, campaign_id=c.id, now=now)
    assert fig.recipients == 2 and fig.excluded_no_consent == 1 and fig.credits_needed == 2
    with pytest.raises(LimitExceeded, match="short by 2"):
        send_now(session, account_id=acc.id, campaign_id=c.id, now=now)
    billing.purchase_credits(session, account_id=acc.id, amount=10, now=now, reason="top-up")
    # 12:00 UTC is 08:00 in New York: inside the window.
    result = send_now(session, account_id=acc.id, campaign_id=c.id, now=now)
    assert result.sent == 2 and result.credits_charged == 2
    assert billing.credit_balance(session, account_id=acc.id).balance == 8


def test_sms_outside_quiet_hours_is_held_not_sent(session: Session, now) -> None:
    acc, _ = _world(session, now)
    billing.purchase_credits(session, account_id=acc.id, amount=10, now=now, reason="top-up")
    c = campaigns.create_campaign(
        session, account_id=acc.id, name="Night", now=now, channel="sms", from_name="Shop",
        sms_body="Late deal. Reply STOP to opt out", lists=["Newsletter"],
    )
    result = send_now(session, account_id=acc.id, campaign_id=c.id, now=now.replace(hour=4))  # midnight in NY
    assert result.sent == 0 and result.held_quiet_hours == 2 and result.credits_charged == 0


def test_troubleshoot_explains_a_failed_send_and_a_draft(session: Session, now) -> None:
    acc, _ = _world(session, now)
    c = _email(session, acc, now)
    campaigns.schedule_campaign(session, account_id=acc.id, campaign_id=c.id, at=now + timedelta(hours=1), now=now)
    campaigns.mark_failed(session, account_id=acc.id, campaign_id=c.id, reason="The sending domain is not verified.", now=now)
    assert last_problem_campaign(session, account_id=acc.id) == c.id
    d = diagnose_campaign(session, account_id=acc.id, campaign_id=c.id, now=now)
    assert "sending domain is not verified" in d.summary
    draft = campaigns.create_campaign(session, account_id=acc.id, name="Empty", now=now)
    d2 = diagnose_campaign(session, account_id=acc.id, campaign_id=draft.id, now=now)
    assert any("missing a subject" in cause for cause in d2.causes)
    assert any("still a draft" in cause for cause in d2.causes)


def test_lookup_by_words_month_and_latest(session: Session, now) -> None:
    acc, _ = _world(session, now)
    may = _email(session, acc, now, name="May Newsletter")
    send_now(session, account_id=acc.id, campaign_id=may.id, now=now.replace(month=5, day=20))
    june = _email(session, acc, now, name="June promo")
    send_now(session, account_id=acc.id, campaign_id=june.id, now=now)
    assert resolve_campaign_id(session, account_id=acc.id, ref="my May newsletter", now=now) == may.id
    assert resolve_campaign_id(session, account_id=acc.id, ref="last campaign", now=now) == june.id
    assert resolve_campaign_id(session, account_id=acc.id, ref=None, now=now) == june.id
    assert resolve_campaign_id(session, account_id=acc.id, ref="june promo", now=now) == june.id
    with pytest.raises(NotFound, match="Did you mean"):
        resolve_campaign_id(session, account_id=acc.id, ref="Jnue promo", now=now)
    other = accounts.create_account(session, name="Other")
    with pytest.raises(NotFound):
        resolve_campaign_id(session, account_id=other.id, ref=str(may.id), now=now)
    with pytest.raises(NotFound):
        audience_figures(session, account_id=other.id, campaign_id=may.id, now=now)
