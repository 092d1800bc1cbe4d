"""Autopay: rules that top an account up from a saved card when its balance falls below a
threshold, run by the scheduler of every engine process.

A rule is charged at most once a day, whichever process gets to it: the day is claimed with one
atomic UPDATE (``charged_on < today``) before anything is charged, and the payment's ledger key
names the rule and the day, so even a retry after a crash opens the same payment, not a second.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Callable

from sqlalchemy import or_, select, update

from ..state.db import Database
from ..state.payments import AutopayRule
from .gateway import GatewayError, PaymentRequest
from .ledger import Ledger, PaymentView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleView:
    id: int
    login: str
    account_id: str
    card_mask: str
    threshold: Decimal
    amount: Decimal
    active: bool


class Autopay:
    def __init__(self, db: Database, ledger: Ledger, gateway, notify_url: str, currency: str):
        self.db = db
        self.ledger = ledger
        self.gateway = gateway
        self.notify_url = notify_url
        self.currency = currency

    def save(self, *, login: str, account_id: str, card_token: str, card_mask: str, threshold: Decimal,
             amount: Decimal) -> RuleView:
        """Set (or replace) the account's rule; a card token comes only from a payment the payer
        made with consent to save the card."""
        with self.db.session() as session:
            rule = session.scalars(select(AutopayRule).where(AutopayRule.account_id == account_id)).first()
            if rule is None:
                rule = AutopayRule(account_id=account_id, created_at=datetime.now(timezone.utc))
                session.add(rule)
            rule.login, rule.card_token, rule.card_mask = login, card_token, card_mask
            rule.threshold, rule.amount, rule.active = threshold, amount, True
            session.flush()
            return _view(rule)

    def turn_off(self, account_id: str) -> None:
        with self.db.session() as session:
            session.execute(update(AutopayRule).where(AutopayRule.account_id == account_id).values(active=False))

    def run(self, today: date, balance_of: Callable[[str], Decimal | None],
            register: Callable[[str, Decimal, str], str]) -> list[PaymentView]:
        """Charge every active rule whose account is below its threshold, once for ``today``."""
        charged = []
        with self.db.session() as session:
            rules = [_view(r) for r in session.scalars(
                select(AutopayRule).where(AutopayRule.active.is_(True),
                                          or_(AutopayRule.charged_on.is_(None), AutopayRule.charged_on < today)))]
        for rule in rules:
            balance = balance_of(rule.account_id)
            if balance is None or balance >= rule.threshold or not self._claim(rule.id, today):
                continue
            charged.append(self._charge(rule, today, register))
        return charged

    def _claim(self, rule_id: int, today: date) -> bool:
        """This process takes today's charge of the rule, or learns another one did."""
        with self.db.session() as session:
            return session.execute(
                update(AutopayRule)
                .where(AutopayRule.id == rule_id, AutopayRule.active.is_(True),
                       or_(AutopayRule.charged_on.is_(None), AutopayRule.charged_on < today))
                .values(charged_on=today)).rowcount == 1

    def _charge(self, rule: RuleView, today: date, register) -> PaymentView:
        with self.db.session() as session:
            token = session.get(AutopayRule, rule.id).card_token
        payment = self.ledger.open(key=f"autopay:{rule.id}:{today.isoformat()}", login=rule.login,
                                   account_id=rule.account_id, amount=rule.amount, currency=self.currency,
                                   purpose="autopay")
        try:
            started = self.gateway.create_payment(PaymentRequest(
                payment_id=payment.id, amount=rule.amount, currency=self.currency,
                description=f"Autopay {rule.account_id}", return_url=self.notify_url,
                notify_url=self.notify_url, card_token=token))
        except GatewayError as exc:
            log.warning("autopay of %s: the gateway did not take it: %s", rule.account_id, exc)
            return self.ledger.fail(payment.id, str(exc))
        view = self.ledger.attach(payment.id, started)
        return self.ledger.credit(view.id, register) if view.status == "succeeded" else view

    def rule(self, account_id: str) -> RuleView | None:
        with self.db.session() as session:
            rule = session.scalars(select(AutopayRule).where(AutopayRule.account_id == account_id)).first()
            return _view(rule) if rule else None


def _view(rule: AutopayRule) -> RuleView:
    return RuleView(rule.id, rule.login, rule.account_id, rule.card_mask, rule.threshold, rule.amount, rule.active)
