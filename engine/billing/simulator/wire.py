"""The simulator's own wire shapes: contract records turned into its JSON, and its code lists.

The shapes are deliberately unlike the contract's records (other names, nesting, state codes,
money as integer kopecks), as a real billing's API would be; ``openapi.yaml`` documents them and
``MAPPING.md`` says which record field each one carries.
"""
from __future__ import annotations

import enum
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..records import (
    Account, ActionResult, BlockTerms, BonusBalance, BonusProgramme, BonusReward, CatalogItem, DealerOrderStats, DealerSubscriber,
    HistoryEntry, Order, PackageBalance, PaymentPage, PaymentReceipt, PlannedChange, PromisedPaymentTerms,
    Requisites, Service, Suspension, Tariff, TariffOffer, TransferReceipt, UsageRecord,
)

# --- code lists (contract value -> simulator code) ---------------------------------------------------
CONTRACT_STATES = {"active": "OPEN", "suspended": "LOCKED", "closed": "TERMINATED"}
PRODUCT_STATES = {"active": "IN_SERVICE", "blocked": "PAUSED", "suspended": "LOCKED", "pending": "WAITING",
                  "closed": "TERMINATED"}
SCHEDULED_ACTIONS = {"tariff_change": "PLAN_CHANGE", "block": "PAUSE", "unblock": "RESUME",
                     "close": "TERMINATE"}
CHARGE_PERIODS = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
LEDGER_TYPES = {"charge": "CHG", "payment": "PAY", "refund": "RFD", "transfer": "TRF", "bonus": "BNS"}
OFFER_GROUPS = {"service": "SERVICE", "equipment": "DEVICE"}
ORDER_STATES = {"new": "REGISTERED", "in_progress": "IN_WORK", "done": "COMPLETED", "cancelled": "CANCELLED"}
USAGE_TYPES = {"call": "VOICE", "sms": "SMS", "data": "MOBILE_DATA", "traffic": "INTERNET"}
VOLUME_UNITS = {"min": "MINUTE", "sms": "MESSAGE", "MB": "MEGABYTE", "GB": "GIGABYTE"}
# keys of ActionResult.extra that have a name of their own here; others are camelCased
DETAIL_NAMES = {"blocked_until": "pausedUntil", "services": "productIds"}


def code(table: dict[str, str], value: Any) -> str:
    """The simulator's code for a contract value (an unknown value is passed on upper-cased)."""
    raw = value.value if isinstance(value, enum.Enum) else str(value)
    return table.get(raw, raw.upper())


def kop(amount: Decimal) -> int:
    """Roubles -> integer kopecks: Decimal('-412.50') -> -41250."""
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def instant(value: datetime) -> str:
    """An aware datetime as ISO 8601 with its offset (the operator's time, +03:00 in the demo)."""
    return value.isoformat()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- records -> JSON --------------------------------------------------------------------------------
def contract(account: Account) -> dict[str, Any]:
    due = account.recommended_payment
    return {
        "contractNo": account.id,
        "displayNo": account.number,
        "owner": {"name": account.holder},
        "saldoKop": kop(account.balance),
        "currencyCode": account.currency,
        "state": code(CONTRACT_STATES, account.status),
        "invoice": None if due is None else {"toPayKop": kop(due.amount), "payBy": day(due.due_date)},
        "serviceAddress": account.address,
    }


def plan(tariff: Tariff) -> dict[str, Any]:
    return {
        "planId": tariff.id,
        "planName": tariff.name,
        "feeKop": kop(tariff.fee),
        "chargePeriod": code(CHARGE_PERIODS, tariff.period),
        "summary": tariff.description,
        "speedMbps": tariff.speed_mbps,
    }


def _lock(suspension: Suspension | None) -> dict[str, Any] | None:
    if suspension is None:
        return None
    return {"reasonCode": suspension.reason_code, "since": day(suspension.since),
            "comment": suspension.details}


def _scheduled(change: PlannedChange) -> dict[str, Any]:
    return {"action": code(SCHEDULED_ACTIONS, change.kind), "startsOn": day(change.effective_date),
            "plan": None if change.tariff is None else plan(change.tariff), "note": change.description}


def product(service: Service) -> dict[str, Any]:
    return {
        "productId": service.id,
        "contractNo": service.account_id,
        "title": service.name,
        "productType": service.kind,
        "state": code(PRODUCT_STATES, service.status),
        "plan": plan(service.tariff),
        "siteAddress": service.address,
        "note": service.description,
        "lock": _lock(service.suspension),
        "pausedUntil": day(service.blocked_until),
        "scheduled": [_scheduled(change) for change in service.planned_changes],
        "planChangeAllowed": service.tariff_change_allowed,
        "terminationOn": day(service.disconnect_date),
        "walletKop": kop(service.balance) if service.balance is not None else None,
    }


def plan_offer(offer: TariffOffer) -> dict[str, Any]:
    return {"plan": plan(offer.tariff), "isCurrent": offer.current, "switchFeeKop": kop(offer.change_fee),
            "effectiveOn": day(offer.effective_date)}


def outcome(result: ActionResult) -> dict[str, Any]:
    return {
        "accepted": result.ok,
        "notice": result.message,
        "ticket": result.reference,
        "effectiveOn": day(result.effective_date),
        "details": {DETAIL_NAMES.get(key, camel(key)): value for key, value in result.extra.items()},
    }


def pause_conditions(terms: BlockTerms) -> dict[str, Any]:
    return {
        "minDays": terms.min_days,
        "maxDays": terms.max_days,
        "feePerDayKop": kop(terms.fee_per_day),
        "paused": terms.blocked,
        "pausedUntil": day(terms.blocked_until),
        "rules": terms.description,
        "scheduleWindow": {"firstStart": day(terms.earliest_start), "lastStart": day(terms.latest_start)},
        "schedule": None if terms.scheduled_from is None else {
            "startsOn": day(terms.scheduled_from), "endsOn": day(terms.scheduled_until)},
    }


def ledger_entry(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "entryId": entry.id,
        "postedAt": instant(entry.at),
        "type": code(LEDGER_TYPES, entry.kind),
        "amountKop": kop(entry.amount),
        "memo": entry.description,
        "productId": entry.service_id,
    }


def usage_event(record: UsageRecord) -> dict[str, Any]:
    return {
        "eventId": record.id,
        "startedAt": instant(record.at),
        "productId": record.service_id,
        "type": code(USAGE_TYPES, record.kind),
        "memo": record.description,
        "volume": str(record.quantity),          # a decimal string: volumes are not money, never kopecks
        "volumeUnit": code(VOLUME_UNITS, record.unit),
        "chargeKop": kop(record.amount),
    }


def bundle(package: PackageBalance) -> dict[str, Any]:
    return {
        "productId": package.service_id,
        "bundleName": package.name,
        "volumeUnit": code(VOLUME_UNITS, package.unit),
        "includedVolume": str(package.total),
        "remainingVolume": str(package.left),
        "validThrough": day(package.until),
    }


def trust_credit(terms: PromisedPaymentTerms) -> dict[str, Any]:
    return {
        "creditKop": kop(terms.amount),
        "repayWithinDays": terms.repay_days,
        "cooldownDays": terms.interval_days,
        "available": terms.eligible,
        "repayBy": day(terms.repay_by),
        "refusal": terms.ineligible_reason,
        "availableFrom": day(terms.available_from),
        "running": terms.active,
    }


def offer(item: CatalogItem) -> dict[str, Any]:
    return {
        "offerId": item.id,
        "label": item.name,
        "group": code(OFFER_GROUPS, item.category),
        "priceKop": kop(item.price),
        "blurb": item.description,
        "imageUrl": item.image,
        "recurring": item.monthly,
    }


def order(record: Order) -> dict[str, Any]:
    return {
        "orderId": record.id,
        "contractNo": record.account_id,
        "offer": offer(record.item),
        "state": code(ORDER_STATES, record.status),
        "placedAt": instant(record.created_at),
    }


def payment(receipt: PaymentReceipt) -> dict[str, Any]:
    return {
        "paymentRef": receipt.payment_id,
        "contractNo": receipt.account_id,
        "amountKop": kop(receipt.amount),
        "bookedAt": instant(receipt.registered_at),
        "receiptNo": receipt.billing_reference,
    }


def payment_page(page: PaymentPage) -> dict[str, Any]:
    return {"title": page.name, "href": page.url, "note": page.description}


def payer(requisites: Requisites) -> dict[str, Any]:
    return {
        "contractNo": requisites.account_id,
        "fullName": requisites.payer_name,
        "contacts": {"email": requisites.email, "phone": requisites.phone},
        "mailingAddress": requisites.postal_address,
        "taxId": requisites.inn or "",   # the demo billing leaves it None on payers it has just created
    }


def transfer(receipt: TransferReceipt) -> dict[str, Any]:
    return {
        "transferId": receipt.transfer_id,
        "sourceContractNo": receipt.from_account_id,
        "targetContractNo": receipt.to_account_id,
        "amountKop": kop(receipt.amount),
        "executedAt": instant(receipt.at),
    }


def loyalty(balance: BonusBalance) -> dict[str, Any]:
    return {
        "contractNo": balance.account_id,
        "programme": balance.program,
        "points": str(balance.points),
        "expiresOn": day(balance.expires_on),
    }


def loyalty_programme(programme: BonusProgramme) -> dict[str, Any]:
    return {
        "programmeId": programme.id,
        "title": programme.name,
        "terms": programme.description,
        "member": programme.joined,
        "points": str(programme.points),
        "perks": [perk(reward) for reward in programme.rewards],
    }


def perk(reward: BonusReward) -> dict[str, Any]:
    return {
        "perkId": reward.id,
        "title": reward.name,
        "pricePoints": str(reward.cost_points),     # points are not money: a decimal string, never kopecks
        "summary": reward.description,
    }


def client(subscriber: DealerSubscriber) -> dict[str, Any]:
    return {
        "clientId": subscriber.id,
        "fullName": subscriber.name,
        "contractRef": subscriber.contract,
        "statusText": subscriber.status,
        "phone": subscriber.phone,
        "saldoKop": kop(subscriber.balance),
        "since": day(subscriber.added_on),
    }


def order_stats(stats: DealerOrderStats) -> dict[str, Any]:
    return {"ordersTotal": stats.total, "ordersCompleted": stats.processed, "ordersOpen": stats.in_progress}


# --- fault injection: the same JSON with its types swapped -------------------------------------------
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def swap_types(value: Any) -> Any:
    """Numbers become strings and numeric strings numbers (booleans become "true"/"false"); other
    strings, nulls and the structure stay as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if _NUMBER.fullmatch(value):
            return float(value) if "." in value else int(value)
        return value
    if isinstance(value, list):
        return [swap_types(item) for item in value]
    if isinstance(value, dict):
        return {key: swap_types(item) for key, item in value.items()}
    return value
