"""``class XMLAgent``: the router that picks the answer from the request's switches, and the data
collectors of the request types other than user data (``userdata``) and freezing (``freeze``).

The switches are checked in the code's order; each matching one replaces the result while the
section names accumulate, so with several switches the last one wins."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from werkzeug.wrappers import Response

from . import freeze, php, userdata
from .call import Call, Die
from .render import Record, plain_response, render_response
from .state import DATETIME_FORMAT, SIGNUP_COLUMNS, AnnouncementRead, SignupRequest, Ticket

SWITCHES = ("payments", "announcements", "tickets", "opayz", "agentassigned", "tariffvservices",
            "activetariffsvservices", "tarifftoswitchallowed", "feecharges", "ticketcreate", "freezedata",
            "dofreeze", "dounfreeze", "ukv", "annreadall", "justauth")
TICKET_TYPE_SUPPORT = "support_request"
TICKET_TYPE_SIGNUP = "signup_request"
TELEGRAM_TAGS = ("<b>", "<strong>", "<i>", "<em>", "<u>", "<ins>", "<s>", "<strike>", "<del>", "<span>", "<code>",
                 "<pre>", "<a>")


def _keyed(records: dict[object, dict[str, object]], key: object) -> dict[str, object]:
    """``$array[$key][...] = ...``: the record under a PHP array key, created when missing."""
    return records.setdefault(php.array_key(key), {})


# --- collectors ---------------------------------------------------------------------------------------
def payments(call: Call, login: str) -> list[Record]:
    """``zbs_CashGetUserPayments()``: newest first, ``balance`` is the balance before."""
    ini = call.state.ini
    rows = sorted((row for row in call.state.payments if row.login == login), key=lambda row: row.id, reverse=True)
    if php.truthy(ini.param("PAYMENTS_ONLYPOSITIVE")):
        rows = [row for row in rows if php.compare(row.summ, 0) > 0]
    depth = php.number(ini.param("PAYMENTS_DEPTH_LIMIT"))
    if depth > 0:
        rows = rows[:int(depth)]
    return [{"date": row.date, "summ": row.summ, "balance": row.balance} for row in rows]


def tickets(call: Call, login: str) -> list[Record]:
    """The user's tickets and the replies to them, newest first (``ORDER BY date DESC``)."""
    kept: dict[object, dict[str, object]] = {}
    for ticket in sorted(call.state.tickets, key=lambda row: row.date, reverse=True):
        if ticket.from_login == login or ticket.to_login == login or (
                ticket.replyid is not None and ticket.replyid in kept):
            kept[ticket.id] = {"id": str(ticket.id), "date": ticket.date, "from": ticket.from_login,
                               "to": ticket.to_login,
                               "replyid": None if ticket.replyid is None else str(ticket.replyid),
                               "status": ticket.status, "text": ticket.text}
    return list(kept.values())


def opayz(call: Call, login: str) -> list[Record]:
    """One record per ``OPENPAYZ_PAYSYS`` entry with its payment link, none without a payment id."""
    state = call.state
    ini = state.ini
    pay_id: object = (userdata.payment_id(state, login) if php.truthy(ini.param("OPENPAYZ_REALID"))
                      else php.ip2int(state.users[login].ip))
    systems: dict[object, dict[str, object]] = {}
    if not php.is_empty(pay_id):
        for name in php.to_string(ini.param("OPENPAYZ_PAYSYS")).split(","):
            record = _keyed(systems, name)
            record["name"] = name
            record["url"] = php.to_string(ini.param("OPENPAYZ_URL")) + name + "/?customer_id=" + php.to_string(pay_id)
            record["description"] = state.opayz_ini.get(name, "")
    return list(systems.values())


def ukv(call: Call, login: str) -> list[Record]:
    """``UserstatsUkv::getUserDataShort()``: the cable TV account linked to the login."""
    state = call.state
    wanted = php.login_filter(login)
    account = next((each for each in state.ukv_users.values() if each.inetlogin == wanted), None)
    if account is None:
        return []

    def tariff_name(tariff_id: int) -> str:
        tariff = state.ukv_tariffs.get(tariff_id)
        return tariff.tariffname if tariff else ""

    apartment = "/" + account.apt if not php.is_empty(account.apt) else ""
    return [{"address": f"{account.city} {account.street} {account.build}{apartment}",
             "realname": account.realname, "contract": account.contract, "phone": account.phone,
             "mobile": account.mobile, "tariff": tariff_name(account.tariffid),
             "tariffnm": tariff_name(account.tariffnmid), "tariffnmdate": account.tariffnmdate,
             "cash": account.cash}]


def agent_assigned(call: Call, login: str) -> list[Record]:
    """``zbs_AgentAssignedGetDataFast()``: the contractor's full ``contrahens`` row."""
    state = call.state
    ini = state.ini
    address: str | None = userdata.address_of(state, login) if state.addresses else None
    default: object = ini.raw("DEFAULT_ASSIGN_AGENT")
    if login in state.agent_assign_strict:
        agent_id: object = state.agent_assign_strict[login]
    else:
        agent_id = default
        if not php.is_empty(address) and state.agent_assign:
            agent_id = next((ahenid for ahenid, street in state.agent_assign if street in (address or "")), default)
        if not ini.on("AGENTS_ASSIGN"):
            agent_id = default
    row = state.contrahents.get(php.vf(php.to_string(agent_id)))
    return [dict(row)] if row else []


def tariff_and_vservices(call: Call, login: str) -> list[Record]:
    state = call.state
    tariff_name = state.users[login].tariff
    tariff = state.tariffs.get(tariff_name) if not php.is_empty(tariff_name) else None
    records: dict[object, dict[str, object]] = {}
    if tariff is not None:
        _keyed(records, tariff.name).update(tariffname=tariff.name, tariffprice=tariff.fee,
                                            tariffdaysperiod=tariff.period)
        for tag_row_id, service in state.user_vservices(login):
            _keyed(records, tag_row_id).update(vsrvname=state.tag_name(service.tagid), vsrvprice=service.price,
                                               vsrvdaysperiod=service.charge_period_days)
    return list(records.values())


def all_tariffs_and_vservices(call: Call) -> list[Record]:
    """The catalogue: tariffs not listed as "lousy", services not archived."""
    state = call.state
    records: dict[object, dict[str, object]] = {}
    for tariff in state.tariffs.values():
        if tariff.name not in state.lousy_tariffs:
            _keyed(records, tariff.name).update(tariffname=tariff.name, tariffprice=tariff.fee,
                                                tariffdaysperiod=tariff.period)
    for service in state.vservices:
        if not service.archived:
            _keyed(records, service.id).update(vsrvname=state.tag_name(service.tagid), vsrvprice=service.price,
                                               vsrvdaysperiod=service.charge_period_days)
    return list(records.values())


def tariffs_to_switch(call: Call, login: str) -> list[Record]:
    """``TC_TARIFFSALLOWED`` when the current tariff is in ``TC_TARIFFENABLEDFROM`` (lists split on
    "," untrimmed), or the tariff's line of tariffmatrix.ini with ``TC_EXTENDED_MATRIX``."""
    state = call.state
    ini, tariff = state.ini, state.users[login].tariff
    allowed: list[str] = []
    if not php.is_empty(tariff):
        if php.truthy(ini.param("TC_EXTENDED_MATRIX")):
            matrix = state.tariff_matrix_ini or {}
            allowed = matrix[tariff].split(",") if tariff in matrix else []
        elif tariff in php.to_string(ini.param("TC_TARIFFENABLEDFROM")).split(","):
            allowed = php.to_string(ini.param("TC_TARIFFSALLOWED")).split(",")
    return [{"tariff": name} for name in allowed]


def _in_period(moment: str, date_from: str, date_to: str) -> bool:
    """The fee history's date filter: from the start of ``date_from`` to the end of ``date_to``."""
    return (not date_from or moment >= date_from) and (not date_to or moment[:len(date_to)] <= date_to)


def fee_charges(call: Call, login: str, date_from: str, date_to: str) -> list[Record]:
    """Tariff fees (``fees``) and other charges (negative ``payments``), oldest first."""
    state = call.state
    labels = {f"Service:{service.id}": state.tag_name(service.tagid) for service in state.vservices}
    entries: dict[int, tuple[str, str, str, str, str]] = {}    # time -> date, summ, from, note, operation

    def push(moment: str, summ: str, balance: str, note: str, operation: str) -> None:
        key = int(datetime.strptime(moment, DATETIME_FORMAT).timestamp())
        while key in entries:                                  # same second: keep both, in order
            key += 1
        entries[key] = (moment, summ, balance, note, operation)

    for fee in sorted(state.fees, key=lambda row: row.id):
        if fee.login == login and _in_period(fee.date, date_from, date_to):
            push(fee.date, fee.summ, fee.balance_from, fee.note, "Fee")
    for payment in sorted(state.payments, key=lambda row: row.id):
        if payment.login == login and php.compare(payment.summ, 0) < 0 and _in_period(payment.date, date_from,
                                                                                       date_to):
            push(payment.date, payment.summ, payment.balance, payment.note, "Payment")
    records: list[Record] = []
    for _key, (moment, summ, balance, note, operation) in sorted(entries.items()):
        is_service = "Service:" in note
        kind = "mainsrv" if operation == "Fee" else "virtualsrv" if is_service else "other"
        label = labels.get(note)
        records.append({"date": moment, "summ": summ, "balance": balance,
                        "note": label if is_service and not php.is_empty(label) else note, "type": kind})
    return records


def create_support_ticket(call: Call, login: str, text: str, reply_id: str) -> list[Record]:
    state = call.state
    ticket_id = 0
    if login not in state.helpdesk_denied and login and not php.is_empty(text):
        reply = None if php.is_empty(reply_id) else int(php.number(reply_id))
        ticket_id = state.next_id(state.tickets)
        state.tickets.append(Ticket(ticket_id, state.clock.now_text(), login, None, reply, "0",
                                    php.strip_tags(text)))
        state.log_register(f"TICKET CREATE ({login}) NEW [{ticket_id}]" if reply is None
                           else f"TICKET CREATE ({login}) REPLY TO [{reply_id}]", call.remote_addr)
    if not ticket_id:
        return [{"created": "error", "id": 0}]
    return [{"created": "success", "id": str(ticket_id)}]      # NyanORM::getLastId(): the column's text


def _sql_value(value: object) -> str:
    if isinstance(value, (dict, list)):
        return "Array"
    return php.to_string(value)


def create_signup_request(call: Call) -> list[Record]:
    """Inserts the JSON body's fields into ``sigreq``; an unknown field is an SQL error, a body
    with no field makes the ORM throw (a fatal error: HTTP 500)."""
    state = call.state
    body = call.body.decode("utf-8", "replace")
    if php.is_empty(body):
        return [{"created": "error", "id": 0}]
    try:
        decoded = json.loads(body)
    except ValueError:
        decoded = None
    fields: dict[str, str] = {}
    if isinstance(decoded, dict):
        fields = {name: _sql_value(value) for name, value in decoded.items() if not php.is_empty(name)}
    elif isinstance(decoded, list):
        fields = {str(index): _sql_value(value) for index, value in enumerate(decoded) if index}
    if not fields:
        raise Die(plain_response("", 500))                     # Exception 'MEOW_DATA_STRUCT_EMPTY'
    if any(name not in SIGNUP_COLUMNS for name in fields):
        columns = ",".join(["`id`"] + [f"`{name}`" for name in fields])
        values = ",".join(["NULL"] + [f"'{value}'" for value in fields.values()])
        raise Die(plain_response(f"wrong data input: INSERT INTO `sigreq` ({columns}) VALUES ({values})"))
    request_id = state.next_id(state.signup_requests)
    state.signup_requests.append(SignupRequest(request_id, fields))
    state.log_register(f"SIGNUP REQUEST CREATED WITH ID: {request_id}", call.remote_addr)
    state.log_register("XMLAGENT: REST API is the source of previous action", call.remote_addr)
    return [{"created": "success", "id": str(request_id)}]


def just_auth(login: str) -> list[Record]:
    # __('Authentication successful'): the simulator has no language files, so the text stays English
    return [{"auth": True, "login": php.login_filter(login), "message": "Authentication successful"}]


def announcements(call: Call, login: str) -> list[Record]:
    """Public announcements, newest first, each with whether this user has read it."""
    state = call.state
    reader = php.login_filter(login)
    read = {row.annid for row in state.announcement_reads if row.login == reader}
    records: list[Record] = []
    for item in sorted(state.announcements, key=lambda row: row.id, reverse=True):
        if item.public != "1":
            continue
        text = php.strip_tags(item.text) if item.type != "html" else php.strip_tags(item.text, TELEGRAM_TAGS)
        records.append({"unic": str(item.id), "read": 1 if item.id in read else 0, "type": item.type,
                        "title": php.strip_tags(item.title), "text": text})
    return records


def mark_all_read(call: Call, login: str) -> list[Record]:
    """Logs every unread announcement as read; answers nothing."""
    state = call.state
    reader = php.login_filter(login)
    for item in announcements(call, login):
        if item["read"] == 0:
            annid = int(php.int_filter(php.to_string(item["unic"])) or 0)
            if reader and annid and not any(row.annid == annid and row.login == reader
                                            for row in state.announcement_reads):
                state.announcement_reads.append(AnnouncementRead(state.next_id(state.announcement_reads),
                                                                 state.clock.now_text(), annid, reader))
    return []


# --- the router -----------------------------------------------------------------------------------------
def run(call: Call, login: str) -> Response:
    """``new XMLAgent($user_login)``."""
    state, query = call.state, call.query
    ini, fmt = state.ini, call.output_format
    if php.truthy(ini.param("XMLAGENT_EXTENDED_AUTH_ON")):
        key = query.get("uberkey") if query.check("uberkey") else ""
        if not key or hashlib.md5(state.ub_serial.encode("utf-8")).hexdigest() != key:
            return render_response([{"reason": "wrong_uberauth"}], "error", "", fmt)

    result: list[Record] = []
    main_section, sub_section, messages, method = "data", "", False, ""
    if login:
        if not query.check_any(SWITCHES):
            main_section, method = "userdata", "getuserdata"
            result = userdata.get_user_data(call, login)
        else:
            if query.check("payments") and php.truthy(ini.param("PAYMENTS_ENABLED")):
                sub_section, result = "payment", payments(call, login)
            if query.check("tickets") and php.truthy(ini.param("TICKETING_ENABLED")):
                sub_section, result = "ticket", tickets(call, login)
            if query.check("opayz") and php.truthy(ini.param("OPENPAYZ_ENABLED")):
                sub_section, result = "paysys", opayz(call, login)
            if query.check("ukv") and php.truthy(ini.param("UKV_ENABLED")):
                method, result = "ukv", ukv(call, login)
            if query.check("agentassigned"):
                sub_section, result = "agentdata", agent_assigned(call, login)
            if query.check("tariffvservices"):
                sub_section, result = "tariffvservices", tariff_and_vservices(call, login)
            if query.check("tarifftoswitchallowed"):
                sub_section, result = "tarifftoswitchallowed", tariffs_to_switch(call, login)
            if query.check("feecharges"):
                date_from = query.get("datefrom") if query.check("datefrom") else ""
                date_to = query.get("dateto") if query.check("dateto") else ""
                sub_section, result = "feecharge", fee_charges(call, login, date_from or "", date_to or "")
            if query.check("freezedata"):
                main_section, result = "freezedata", freeze.freeze_data(call, login)
            if query.check("dofreeze"):
                main_section, result = "dofreeze", freeze.do_freeze(call, login)
            if query.check("dounfreeze"):
                main_section, result = "dounfreeze", freeze.do_unfreeze(call, login)
            if query.check("ticketcreate", "tickettext", "tickettype") and \
                    query.get("tickettype") == TICKET_TYPE_SUPPORT:
                decoded = php.base64_decode(query.get("tickettext") or "")
                text = decoded.decode("utf-8", "replace") if decoded is not None else ""
                reply_id = (query.get("reply_id") or "") if query.check("reply_id") else ""
                method = "supportticketcreate"
                result = create_support_ticket(call, login, text, reply_id)

    if query.check("justauth"):
        method, result = "justauth", just_auth(login)
    if query.check("announcements") and php.truthy(ini.param("AN_ENABLED")):
        messages, method, result = True, "announcements", announcements(call, login)
    if query.check("annreadall"):
        method, result = "annreadall", mark_all_read(call, login)
    if query.check("activetariffsvservices"):
        sub_section, result = "activetariffsvservices", all_tariffs_and_vservices(call)
    if query.check("ticketcreate", "tickettype") and query.get("tickettype") == TICKET_TYPE_SIGNUP:
        method, result = "signupticketcreate", create_signup_request(call)

    if php.truthy(ini.param("XMLAGENT_DEBUG_ON")):
        shown = sub_section if not method and sub_section else (method if php.is_empty(main_section)
                                                                else main_section)
        state.log_register(f"XMLAGENT: [ {shown} ] was called from [ {call.remote_addr} ] via HTTP "
                           f"{call.method} with params: {call.uri}", call.remote_addr)
    return render_response(result, main_section, sub_section, fmt, messages)

