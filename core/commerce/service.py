"""E-commerce records: orders with items (totals computed from the items), abandoned carts and recoveries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.campaigns.models import Campaign, CampaignSend
from core.campaigns.schemas import invalid_from_validation
from core.commerce.models import AbandonedCart, Order, OrderItem
from core.commerce.schemas import AbandonedCartOut, OrderItemIn, OrderItemOut, OrderOut
from core.contacts.models import Contact
from core.enums import OrderStatus
from core.errors import Conflict, InvalidRequest, invalid_choice
from core.scope import get_owned

_ITEMS = TypeAdapter(list[OrderItemIn])
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_ITEMS = 500


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidRequest(
            f"{field} {value.isoformat()} has no time zone; give an aware time.", field=field
        )
    return value


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if not _CURRENCY.match(code):
        raise InvalidRequest(
            f"Currency {value!r} is not a three-letter ISO 4217 code; use e.g. 'USD', 'EUR' or 'GBP'.",
            field="currency",
        )
    return code


def _order_status(value: OrderStatus | str) -> OrderStatus:
    try:
        return OrderStatus(str(value).strip().lower())
    except ValueError:
        raise invalid_choice("order status", value, [s.value for s in OrderStatus]) from None


def _items(raw: Sequence[Any]) -> list[OrderItemIn]:
    data = [i.model_dump() if hasattr(i, "model_dump") else i for i in raw]
    if not data:
        raise InvalidRequest(
            "An order needs at least one item (product name, quantity and price).", field="items"
        )
    if len(data) > MAX_ITEMS:
        raise InvalidRequest(
            f"An order holds at most {MAX_ITEMS} items; this one has {len(data)}.", field="items"
        )
    try:
        return _ITEMS.validate_python(data)
    except ValidationError as err:
        raise invalid_from_validation(err, what="order items", field="items", item="item") from None


def _order_out(session: Session, order: Order) -> OrderOut:
    items = session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).all()
    return OrderOut(
        id=order.id,
        account_id=order.account_id,
        contact_id=order.contact_id,
        external_id=order.external_id,
        status=order.status,
        total_cents=order.total_cents,
        currency=order.currency,
        campaign_id=order.campaign_id,
        placed_at=order.placed_at,
        items=[OrderItemOut.model_validate(i) for i in items],
    )


def record_order(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    external_id: str,
    items: Sequence[Any],
    placed_at: datetime,
    currency: str = "USD",
    campaign_id: int | None = None,
    status: OrderStatus | str = OrderStatus.PLACED,
) -> OrderOut:
    """Record a store order; the total is the sum of quantity x price over the items, in cents.

    ``campaign_id`` attributes the order to a campaign the contact received.
    """
    get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    placed_at = _aware(placed_at, "placed_at")
    ext = (external_id or "").strip()
    if not ext or len(ext) > 64:
        raise InvalidRequest(
            "Give the store's order number (1 to 64 characters) as external_id.", field="external_id"
        )
    lines = _items(items)
    code = _currency(currency)
    order_status = _order_status(status)
    if campaign_id is not None:
        campaign = get_owned(session, Campaign, account_id=account_id, id=campaign_id, kind="campaign")
        received = session.scalar(
            select(CampaignSend.id).where(
                CampaignSend.campaign_id == campaign.id, CampaignSend.contact_id == contact_id
            )
        )
        if received is None:
            raise InvalidRequest(
                f"Contact {contact_id} was not sent campaign {campaign.name!r}, so the order cannot be "
                "attributed "
                "to it.",
                field="campaign_id",
            )
    clash = session.scalars(
        select(Order).where(Order.account_id == account_id, Order.external_id == ext)
    ).first()
    if clash is not None:
        raise Conflict(
            f"Order {ext!r} is already recorded (id {clash.id}); use update_order_status to change it.",
            field="external_id",
        )
    order = Order(
        account_id=account_id,
        contact_id=contact_id,
        external_id=ext,
        status=order_status,
        total_cents=sum(i.quantity * i.price_cents for i in lines),
        currency=code,
        campaign_id=campaign_id,
        placed_at=placed_at,
    )
    session.add(order)
    session.flush()
    for line in lines:
        session.add(OrderItem(account_id=account_id, order_id=order.id, **line.model_dump()))
    session.flush()
    return _order_out(session, order)


def update_order_status(
    session: Session, *, account_id: int, order_id: int, status: OrderStatus | str
) -> OrderOut:
    """Change an order's status (placed, refunded, cancelled)."""
    order = get_owned(session, Order, account_id=account_id, id=order_id, kind="order")
    order.status = _order_status(status)
    session.flush()
    return _order_out(session, order)


def get_order(session: Session, *, account_id: int, order_id: int) -> OrderOut:
    """Return one order with its items."""
    return _order_out(session, get_owned(session, Order, account_id=account_id, id=order_id, kind="order"))


def list_orders(
    session: Session, *, account_id: int, contact_id: int | None = None, limit: int = 100
) -> list[OrderOut]:
    """Return recent orders, newest first, optionally of one contact."""
    if not 1 <= limit <= 1000:
        raise InvalidRequest(f"limit {limit} is out of range; use 1 to 1000.", field="limit")
    query = select(Order).where(Order.account_id == account_id)
    if contact_id is not None:
        get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
        query = query.where(Order.contact_id == contact_id)
    rows = session.scalars(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit)).all()
    return [_order_out(session, o) for o in rows]


def record_abandoned_cart(
    session: Session,
    *,
    account_id: int,
    contact_id: int,
    total_cents: int,
    abandoned_at: datetime,
    currency: str = "USD",
) -> AbandonedCartOut:
    """Record a cart the contact left without buying."""
    get_owned(session, Contact, account_id=account_id, id=contact_id, kind="contact")
    abandoned_at = _aware(abandoned_at, "abandoned_at")
    if isinstance(total_cents, bool) or not isinstance(total_cents, int) or total_cents <= 0:
        raise InvalidRequest(
            f"Cart total {total_cents!r} must be a whole number of cents above 0 (e.g. 4999 for 49.99).",
            field="total_cents",
        )
    cart = AbandonedCart(
        account_id=account_id,
        contact_id=contact_id,
        total_cents=total_cents,
        currency=_currency(currency),
        abandoned_at=abandoned_at,
    )
    session.add(cart)
    session.flush()
    return AbandonedCartOut.model_validate(cart)


def mark_cart_recovered(
    session: Session, *, account_id: int, cart_id: int, order_id: int
) -> AbandonedCartOut:
    """Record that an abandoned cart was recovered by an order the same contact placed afterwards."""
    cart = get_owned(session, AbandonedCart, account_id=account_id, id=cart_id, kind="abandoned cart")
    order = get_owned(session, Order, account_id=account_id, id=order_id, kind="order")
    if cart.recovered_order_id is not None:
        raise Conflict(
            f"Cart {cart.id} was already recovered by order {cart.recovered_order_id}.",
            field="recovered_order_id",
        )
    if order.contact_id != cart.contact_id:
        raise InvalidRequest(
            f"Order {order.external_id!r} belongs to another contact than cart {cart.id}; a cart is "
            "recovered "
            "only by its own contact's order.",
            field="order_id",
        )
    if order.placed_at < cart.abandoned_at:
        raise InvalidRequest(
            f"Order {order.external_id!r} was placed before the cart was abandoned, so it cannot recover it.",
            field="order_id",
        )
    cart.recovered_order_id = order.id
    session.flush()
    return AbandonedCartOut.model_validate(cart)


def list_abandoned_carts(
    session: Session, *, account_id: int, recovered: bool | None = None, limit: int = 100
) -> list[AbandonedCartOut]:
    """Return abandoned carts, newest first; ``recovered`` filters recovered (True) or open (False) carts."""
    query = select(AbandonedCart).where(AbandonedCart.account_id == account_id)
    if recovered is True:
        query = query.where(AbandonedCart.recovered_order_id.is_not(None))
    elif recovered is False:
        query = query.where(AbandonedCart.recovered_order_id.is_(None))
    rows = session.scalars(
        query.order_by(AbandonedCart.abandoned_at.desc()).limit(max(1, min(limit, 1000)))
    ).all()
    return [AbandonedCartOut.model_validate(c) for c in rows]
