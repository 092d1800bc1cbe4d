"""Autopay: rules that top an account up from a saved card, run by the scheduler of every engine
process.

A rule is set up in the cabinet: the subscriber agrees to charges without their presence and pays
once with the card to save (``begin`` opens that payment with ``save_card``; the rule becomes
active in the very transaction that records its success, when the gateway returns a card token —
that is, when the payer agreed to save the card on the bank's page too). It is then charged when
the balance falls below its threshold, or on the day of the recommended payment.

A rule is charged at most once a day, whichever process gets to it: the day is claimed with one
atomic UPDATE (``charged_on < today``) before anything is charged, and the payment's ledger key
names the rule and the day, so even a retry after a crash opens the same payment, not a second.
A failed charge is recorded on the rule and reported through ``on_failure`` (an e-mail).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Callable

from sqlalchemy import or_, select, update

from ..state.db import Database, changed_rows
from ..state.payments import AutopayRule
from .gateway import GatewayError, PaymentRequest
from .ledger import CREATED, CREDITED, REDIRECTED, SUCCEEDED, Ledger, PaymentView

log = logging.getLogger(__name__)

BELOW_THRESHOLD, DUE_DATE = "below_threshold", "due_date"
TRIGGERS = (BELOW_THRESHOLD, DUE_DATE)
SETUP_PURPOSE = "autopay_setup"      # the payment that saves the card
CHARGE_PURPOSE = "autopay"


@dataclass(frozen=True)
class AccountState:
    """What a rule is checked against, read from the billing when the job runs."""

    balance: Decimal
    due_date: date | None = None           # of the recommended payment


@dataclass(frozen=True)
class RuleView:
    id: int
    login: str
    account_id: str
    card_mask: str
    trigger: str
    threshold: Decimal | None
    amount: Decimal
    active: bool
    has_card: bool
    setup_payment_id: str | None
    last_failure: str
    charged_on: date | None


class Autopay:
    def __init__(self, db: Database, ledger: Ledger, gateway, notify_url: str, currency: str,
                 on_failure: Callable[[RuleView, str], None] | None = None):
        self.db = db
        self.ledger = ledger
        self.gateway = gateway
        self.notify_url = notify_url
        self.currency = currency
        self.on_failure = on_failure
        ledger.on_succeeded.append(self._card_saved)

    # --- setting up -------------------------------------------------------------------------------
    def begin(self, *, login: str, account_id: str, trigger: str, threshold: Decimal | None, amount: Decimal,
              setup_payment_id: str) -> RuleView:
        """Write the account's rule as pending until ``setup_payment_id`` saves a card; a rule the
        account had is replaced (it stops until the new card is saved)."""
        if trigger not in TRIGGERS:
            raise ValueError(f"trigger must be one of {', '.join(TRIGGERS)}, not {trigger!r}")
        with self.db.session() as session:
            rule = self._rule_row(session, account_id)
            rule.login, rule.trigger, rule.threshold, rule.amount = login, trigger, threshold, amount
            rule.card_token, rule.card_mask, rule.active = "", "", False
            rule.setup_payment_id, rule.last_failure = setup_payment_id, ""
            session.flush()
            return _view(rule)

    def save(self, *, login: str, account_id: str, card_token: str, card_mask: str, threshold: Decimal | None,
             amount: Decimal, trigger: str = BELOW_THRESHOLD) -> RuleView:
        """Set (or replace) an active rule with a card token the gateway already gave (from a
        payment the payer made with consent to save the card)."""
        with self.db.session() as session:
            rule = self._rule_row(session, account_id)
            rule.login, rule.card_token, rule.card_mask = login, card_token, card_mask
            rule.trigger, rule.threshold, rule.amount, rule.active = trigger, threshold, amount, True
            rule.setup_payment_id, rule.last_failure = None, ""
            session.flush()
            return _view(rule)

    def _card_saved(self, session, payment, event) -> None:
        """Ledger hook: the setup payment succeeded; with a card token the rule starts working."""
        if payment.purpose != SETUP_PURPOSE or not event.card_token:
            return
        rule = session.scalars(select(AutopayRule).where(AutopayRule.setup_payment_id == payment.id)
                               .with_for_update()).first()
        if rule is None:
            return
        rule.card_token, rule.card_mask = event.card_token, event.card_mask or ""
        rule.active, rule.last_failure = True, ""
        rule.charged_on = datetime.now(timezone.utc).date()   # today's top-up is this very payment

    def turn_off(self, account_id: str) -> bool:
        """Stop the account's rule; False when it had none running."""
        with self.db.session() as session:
            return changed_rows(session, update(AutopayRule)
                                .where(AutopayRule.account_id == account_id, AutopayRule.active.is_(True))
                                .values(active=False)) == 1

    def rule(self, account_id: str) -> RuleView | None:
        with self.db.session() as session:
            rule = session.scalars(select(AutopayRule).where(AutopayRule.account_id == account_id)).first()
            return _view(rule) if rule else None

    def state(self, rule: RuleView | None) -> str:
        """What the subscriber is shown: none | active | pending (the card is being saved) |
        card_not_saved (the setup payment ended without a saved card) | off."""
        if rule is None:
            return "none"
        if rule.active:
            return "active"
        if not rule.has_card and rule.setup_payment_id:
            payment = self.ledger.get(rule.setup_payment_id)
            if payment is not None and payment.status in (CREATED, REDIRECTED):
                return "pending"
            return "card_not_saved"
        return "off"

    # --- the scheduler's job ----------------------------------------------------------------------
    def run(self, today: date, account_of: Callable[[str], AccountState | None],
            register: Callable[[str, Decimal, str], str]) -> list[PaymentView]:
        """Charge every active rule that is due ``today`` (below its threshold, or the day of the
        recommended payment), once for the day."""
        charged = []
        with self.db.session() as session:
            rules = [_view(r) for r in session.scalars(
                select(AutopayRule).where(AutopayRule.active.is_(True),
                                          or_(AutopayRule.charged_on.is_(None), AutopayRule.charged_on < today)))]
        for rule in rules:
            state = account_of(rule.account_id)
            if state is None or not _due(rule, state, today) or not self._claim(rule.id, today):
                continue
            charged.append(self._charge(rule, today, register))
        return charged

    def _claim(self, rule_id: int, today: date) -> bool:
        """This process takes today's charge of the rule, or learns another one did."""
        with self.db.session() as session:
            return changed_rows(
                session, update(AutopayRule)
                .where(AutopayRule.id == rule_id, AutopayRule.active.is_(True),
                       or_(AutopayRule.charged_on.is_(None), AutopayRule.charged_on < today))
                .values(charged_on=today)) == 1

    def _charge(self, rule: RuleView, today: date, register) -> PaymentView:
        with self.db.session() as session:
            token = session.get_one(AutopayRule, rule.id).card_token   # rules are never deleted
        payment = self.ledger.open(key=f"autopay:{rule.id}:{today.isoformat()}", login=rule.login,
                                   account_id=rule.account_id, amount=rule.amount, currency=self.currency,
                                   purpose=CHARGE_PURPOSE)
        if payment.status not in (CREATED, REDIRECTED):
            return payment                     # charged before a crash: the ledger has it
        try:
            started = self.gateway.create_payment(PaymentRequest(
                payment_id=payment.id, amount=rule.amount, currency=self.currency,
                description=f"Autopay {rule.account_id}", return_url=self.notify_url,
                notify_url=self.notify_url, card_token=token))
        except GatewayError as exc:
            log.warning("autopay of %s: the gateway did not take it: %s", rule.account_id, exc)
            view = self.ledger.fail(payment.id, str(exc))
            self._failed(rule, getattr(exc, "reason", "") or str(exc))
            return view
        view = self.ledger.attach(payment.id, started)
        if view.status == SUCCEEDED:
            view = self.ledger.credit(view.id, register) or view   # None only for an unknown payment
        if view.status in (SUCCEEDED, CREDITED):
            self._record_failure(rule.id, "")
        elif view.status not in (CREATED, REDIRECTED):
            self._failed(rule, view.decline_reason or view.status)
        return view

    def _failed(self, rule: RuleView, reason: str) -> None:
        self._record_failure(rule.id, reason)
        if self.on_failure is not None:
            try:
                self.on_failure(rule, reason)
            except Exception:   # telling the subscriber must not stop the other rules
                log.exception("reporting the failed autopay of %s failed", rule.account_id)

    def _record_failure(self, rule_id: int, reason: str) -> None:
        with self.db.session() as session:
            session.execute(update(AutopayRule).where(AutopayRule.id == rule_id).values(last_failure=reason[:500]))

    @staticmethod
    def _rule_row(session, account_id: str) -> AutopayRule:
        rule = session.scalars(select(AutopayRule).where(AutopayRule.account_id == account_id)
                               .with_for_update()).first()
        if rule is None:
            rule = AutopayRule(account_id=account_id, created_at=datetime.now(timezone.utc), charged_on=None)
            session.add(rule)
        return rule


def _due(rule: RuleView, state: AccountState, today: date) -> bool:
    if rule.trigger == DUE_DATE:
        return state.due_date == today
    return rule.threshold is not None and state.balance < rule.threshold


def _view(rule: AutopayRule) -> RuleView:
    return RuleView(rule.id, rule.login, rule.account_id, rule.card_mask, rule.trigger, rule.threshold,
                    rule.amount, rule.active, bool(rule.card_token), rule.setup_payment_id,
                    rule.last_failure or "", rule.charged_on)
