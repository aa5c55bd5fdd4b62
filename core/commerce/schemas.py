"""Public shapes of orders, order items and abandoned carts (money in cents)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.enums import OrderStatus


class OrderItemIn(BaseModel):
    """One line of an order as the store reports it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product_name: str = Field(min_length=1, max_length=200)
    category: str | None = Field(default=None, max_length=100)
    quantity: int = Field(default=1, ge=1, le=100_000)
    price_cents: int = Field(ge=0, le=10**12)


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_name: str
    category: str | None
    quantity: int
    price_cents: int


class OrderOut(BaseModel):
    id: int
    account_id: int
    contact_id: int
    external_id: str
    status: OrderStatus
    total_cents: int
    currency: str
    campaign_id: int | None
    placed_at: datetime
    items: list[OrderItemOut]


class AbandonedCartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    contact_id: int
    total_cents: int
    currency: str
    abandoned_at: datetime
    recovered_order_id: int | None
