"""Mail transports: the outbox folder (the default, offline) and an SMTP server.

A transport takes a finished ``EmailMessage`` (with its Message-ID set) and delivers it. Delivery is keyed by
the Message-ID: the outbox writes each id once, so a caller that repeats a send with the same id (a resumed
approval, a retried request) never leaves a second copy.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from core.config import Settings
from core.errors import DomainError, InvalidRequest

TransportName = Literal["outbox", "smtp"]
OUTBOX_FOLDER = "outbox"
SMTP_TIMEOUT_SECONDS = 20.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._@-]+")


class MailDeliveryError(DomainError):
    """The mail server could not take a message (unreachable, refused the login or a recipient)."""


@dataclass(frozen=True)
class Delivery:
    """One delivered message: its Message-ID, the transport, and where it went (a file or a server)."""

    message_id: str
    transport: TransportName
    location: str


class MailTransport(Protocol):
    """Something that delivers finished messages."""

    name: TransportName

    def send(self, message: EmailMessage, *, account_id: int) -> Delivery:
        """Deliver ``message`` for ``account_id`` and say where it went."""
        ...


def ensure_message_id(message: EmailMessage, *, domain: str = "activeintel.local") -> str:
    """Return the message's Message-ID, adding a fresh one when it has none."""
    if not message["Message-ID"]:
        message["Message-ID"] = make_msgid(idstring="activeintel", domain=domain)
    return str(message["Message-ID"])


# ---------------------------------------------------------------------------------------------- outbox


class OutboxTransport:
    """Write each message as an RFC 5322 ``.eml`` file under ``<root>/account_<id>/``; no network needed."""

    name: TransportName = "outbox"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, account_id: int) -> Path:
        """The account's outbox folder (one folder per tenant, so accounts never see each other's mail)."""
        return self.root / f"account_{int(account_id)}"

    def path_for(self, account_id: int, message_id: str) -> Path:
        """The file a message with this Message-ID is written to."""
        stem = _UNSAFE_FILE_CHARS.sub("_", message_id.strip().strip("<>")).strip("._") or "message"
        return self.folder(account_id) / f"{stem[:180]}.eml"

    def send(self, message: EmailMessage, *, account_id: int) -> Delivery:
        """Write the message once: a second send with the same Message-ID keeps the first file."""
        message_id = ensure_message_id(message)
        target = self.path_for(account_id, message_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            # Written aside and linked into place, so a reader never sees half a file and two writers of the
            # same id leave exactly one.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".writing-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(message.as_bytes(policy=SMTP_POLICY))
                try:
                    os.link(tmp, target)
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        return Delivery(message_id=message_id, transport=self.name, location=str(target))

    def messages(self, account_id: int) -> list[Path]:
        """The account's messages, oldest first."""
        folder = self.folder(account_id)
        if not folder.is_dir():
            return []
        return sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))


# ---------------------------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server; ``sender`` overrides the envelope sender (MAIL FROM)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    implicit_tls: bool = False
    timeout: float = SMTP_TIMEOUT_SECONDS
    sender: str | None = None

    @property
    def address(self) -> str:
        """``host:port``, for messages (never the password)."""
        return f"{self.host}:{self.port}"


def _flag(query: dict[str, list[str]], name: str, default: bool) -> bool:
    if name not in query:
        return default
    value = query[name][-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidRequest(
        f"ACTIVEINTEL_SMTP_URL option {name}={value!r} is not understood; use {name}=1 or {name}=0.",
        field="smtp_url",
    )


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read ``smtp://user:pass@host:port?starttls=1`` (or ``smtps://`` for TLS from the first byte).

    Options: ``starttls`` (0/1), ``timeout`` (seconds) and ``sender`` (the envelope sender, for relays that
    only accept their own address). User name and password are URL-decoded, so ``%40`` stands for ``@``.
    """
    example = "smtp://user:password@mail.example.com:587?starttls=1"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidRequest(
            f"ACTIVEINTEL_SMTP_URL must look like {example!r} (or start with smtps:// for TLS on connect).",
            field="smtp_url",
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidRequest(f"ACTIVEINTEL_SMTP_URL has a bad port ({exc}); use e.g. {example!r}.",
                             field="smtp_url") from exc
    query = parse_qs(parts.query, keep_blank_values=True)
    implicit = parts.scheme == "smtps"
    timeout = SMTP_TIMEOUT_SECONDS
    if "timeout" in query:
        try:
            timeout = float(query["timeout"][-1])
        except ValueError as exc:
            raise InvalidRequest("ACTIVEINTEL_SMTP_URL timeout must be a number of seconds, e.g. timeout=20.",
                                 field="smtp_url") from exc
        if not 0 < timeout <= 300:
            raise InvalidRequest("ACTIVEINTEL_SMTP_URL timeout must be between 0 and 300 seconds.",
                                 field="smtp_url")
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if implicit else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=_flag(query, "starttls", False) and not implicit,
        implicit_tls=implicit,
        timeout=timeout,
        sender=(query.get("sender") or [None])[-1] or None,
    )


class SmtpTransport:
    """Hand each message to an SMTP server (plain, STARTTLS or TLS on connect), logging in when configured."""

    name: TransportName = "smtp"

    def __init__(self, config: SmtpConfig, *, tls_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._tls = tls_context

    @classmethod
    def from_url(cls, url: str) -> SmtpTransport:
        """Build a transport from an ``smtp://`` URL (see ``parse_smtp_url``)."""
        return cls(parse_smtp_url(url))

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.implicit_tls:
            return smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                    context=self._tls or ssl.create_default_context())
        return smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)

    def send(self, message: EmailMessage, *, account_id: int) -> Delivery:
        """Send one message; a refusal or an unreachable server is a MailDeliveryError that says which."""
        cfg = self.config
        message_id = ensure_message_id(message)
        where = f"the mail server at {cfg.address}"
        try:
            with self._connect() as smtp:
                if cfg.starttls:
                    smtp.starttls(context=self._tls or ssl.create_default_context())
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                refused = smtp.send_message(message, from_addr=cfg.sender)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailDeliveryError(
                f"{where.capitalize()} did not accept the user name and password in ACTIVEINTEL_SMTP_URL "
                f"({exc.smtp_code}); check them with your mail provider.",
                field="smtp_url",
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise MailDeliveryError(
                f"{where.capitalize()} refused the recipient {refused}; check the address and try again.",
                field="to",
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailDeliveryError(
                f"{where.capitalize()} refused the sender {exc.sender!r} ({exc.smtp_code}); use a from address "
                "the server allows, or set sender=... in ACTIVEINTEL_SMTP_URL.",
                field="from_email",
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailDeliveryError(
                f"{where.capitalize()} does not support what ACTIVEINTEL_SMTP_URL asks for ({exc}); "
                "remove starttls=1 or the login, or use smtps://.",
                field="smtp_url",
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(
                f"{where.capitalize()} could not take the message ({type(exc).__name__}: {exc}). Check "
                "ACTIVEINTEL_SMTP_URL, or unset it to save test emails to the outbox folder instead.",
                field="smtp_url",
            ) from exc
        if refused:
            # Some recipients of a multi-recipient message were refused while others were accepted.
            raise MailDeliveryError(
                f"{where.capitalize()} refused {', '.join(sorted(refused))} (the other recipients got the "
                "message); check those addresses.",
                field="to",
            )
        return Delivery(message_id=message_id, transport=self.name, location=cfg.address)


def transport_from_settings(settings: Settings) -> MailTransport:
    """SMTP when ``ACTIVEINTEL_SMTP_URL`` is set, else the outbox folder in the data dir."""
    if settings.smtp_url and settings.smtp_url.strip():
        return SmtpTransport.from_url(settings.smtp_url)
    return OutboxTransport(settings.data_dir / OUTBOX_FOLDER)
