"""The outbox: messages are stored first, then delivered by a background job.

A page that queues a message only writes a row, so an SMTP outage never breaks it. Delivery claims
due rows (on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so two engine processes never take the same
row), sends them outside any transaction, then records the outcome: sent; retried later with
exponential backoff after a temporary failure; failed after a permanent one or too many attempts.
Delivery is at least once: a process that dies between sending and recording sends again later.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, Index, Integer, String, Text, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..notify import DeliveryFailed, NotificationChannel
from .db import Base, Database

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
# A claimed message is hidden from other processes this long; if its process dies while sending,
# it becomes due again afterwards. Longer than a batch can take (20 messages x a 10 s timeout).
CLAIM_SECONDS = 15 * 60
MAX_RETRY_SECONDS = 3600.0


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(50))                  # "email"
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    reply_to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The same logical message queued twice (a resubmitted form) is stored once.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)


class Outbox:
    def __init__(self, db: Database, retry_seconds: float = 30.0, max_retry_seconds: float = MAX_RETRY_SECONDS):
        self.db = db
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds

    def enqueue(self, recipient: str, subject: str, body_text: str, *, body_html: str | None = None,
                reply_to: str | None = None, channel: str = "email", dedup_key: str | None = None) -> int:
        """Store a message for delivery; return its id. With a ``dedup_key`` already stored, return that
        message's id and store nothing (the first message's content wins)."""
        if not recipient or len(recipient) > 320:
            raise ValueError(f"a recipient of 1 to 320 characters is required, not {recipient!r}")
        if dedup_key is not None:
            existing = self._id_of(dedup_key)
            if existing is not None:
                return existing
        now = _utcnow()
        message = OutboxMessage(created_at=now, channel=channel, recipient=recipient, subject=subject,
                                body_text=body_text, body_html=body_html, reply_to=reply_to, status=PENDING,
                                attempts=0, next_attempt_at=now, last_error="", dedup_key=dedup_key)
        try:
            with self.db.session() as session:
                session.add(message)
        except IntegrityError:
            existing = self._id_of(dedup_key) if dedup_key is not None else None
            if existing is None:
                raise
            return existing   # queued by a concurrent request between our check and our insert
        return message.id

    def deliver_due(self, channel: NotificationChannel, now: datetime | None = None, batch: int = 20,
                    max_attempts: int = 8) -> tuple[int, int, int]:
        """Send the due pending messages of ``channel`` (at most ``batch``); return (sent, retried, failed)."""
        now = _utc(now) if now is not None else _utcnow()
        sent = retried = failed = 0
        for message in self._claim(channel.name, now, batch):
            try:
                channel.send(recipient=message.recipient, subject=message.subject, body_text=message.body_text,
                             body_html=message.body_html, reply_to=message.reply_to)
            except DeliveryFailed as exc:
                problem = exc
            except Exception as exc:   # a bug in a channel: keep the message, retry it, show the traceback
                log.exception("channel %r crashed on outbox message %s", channel, message.id)
                problem = DeliveryFailed(temporary=True, reason=f"{type(exc).__name__}: {exc}")
            else:
                self._record(message.id, status=SENT, sent_at=_utcnow(), last_error="")
                sent += 1
                continue
            if problem.temporary and message.attempts < max_attempts:
                delay = self.retry_delay(message.attempts)
                self._record(message.id, status=PENDING, next_attempt_at=now + timedelta(seconds=delay),
                             last_error=problem.reason)
                log.warning("outbox message %s not sent (attempt %s of %s), retrying in %g s: %s",
                            message.id, message.attempts, max_attempts, delay, problem.reason)
                retried += 1
            else:
                self._record(message.id, status=FAILED, last_error=problem.reason)
                log.error("outbox message %s failed after %s attempt(s): %s", message.id, message.attempts,
                          problem.reason)
                failed += 1
        return sent, retried, failed

    def retry_delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, ... capped."""
        return min(self.retry_seconds * 2 ** max(attempts - 1, 0), self.max_retry_seconds)

    def pending_count(self) -> int:
        with self.db.session() as session:
            return session.scalars(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.status == PENDING)).one()

    def get(self, message_id: int) -> OutboxMessage | None:
        with self.db.session() as session:
            return session.get(OutboxMessage, message_id)

    def _claim(self, channel: str, now: datetime, batch: int) -> list[OutboxMessage]:
        # Pick, then claim, in one transaction. PostgreSQL locks the picked rows and other processes
        # skip them; SQLite locks nothing while reading, so the claim re-checks that the rows are still
        # due (a concurrent claim has moved them into the future). Claiming counts the attempt, so a
        # message that kills its process still reaches max_attempts. (One UPDATE ... WHERE id IN
        # (SELECT ... LIMIT FOR UPDATE SKIP LOCKED) would be shorter, but PostgreSQL may re-run the
        # subquery and claim more than the batch.)
        due = (OutboxMessage.status == PENDING, OutboxMessage.channel == channel, OutboxMessage.next_attempt_at <= now)
        with self.db.session() as session:
            picked = list(session.scalars(
                select(OutboxMessage.id).where(*due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(batch).with_for_update(skip_locked=True)))
            if not picked:
                return []
            claimed = list(session.scalars(
                update(OutboxMessage).where(OutboxMessage.id.in_(picked), *due)
                .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
                .returning(OutboxMessage), execution_options={"synchronize_session": False}))
        return sorted(claimed, key=lambda message: message.id)

    def _record(self, message_id: int, **values) -> None:
        with self.db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))

    def _id_of(self, dedup_key: str) -> int | None:
        with self.db.session() as session:
            return session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key))


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone, so every stored time is UTC; a naive argument is taken as UTC.
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
