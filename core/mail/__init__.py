"""Outgoing mail: transports that deliver finished messages (an offline outbox folder, or an SMTP server)."""

from core.mail.transport import (
    Delivery,
    MailDeliveryError,
    MailTransport,
    OutboxTransport,
    SmtpConfig,
    SmtpTransport,
    parse_smtp_url,
    transport_from_settings,
)

__all__ = [
    "Delivery", "MailDeliveryError", "MailTransport", "OutboxTransport", "SmtpConfig", "SmtpTransport",
    "parse_smtp_url", "transport_from_settings",
]
