"""The Ubilling XMLAgent simulator (``engine.billing.ubilling``) against the behaviour reference
``docs/ubilling-xmlagent.md``: the wire format byte for byte (XML lines, TAB indentation, the
literal ``text`` content type, ``json_encode``'s escaping and types), authentication, every request
type, the creditor and paycards agent calls, the error answers, and the billing's state between
requests. The billing's date is pinned so the demo data and the computed days are fixed."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from engine.billing.simulator.faults import DropConnection
from engine.billing.ubilling import create_ubilling_app
from engine.billing.ubilling import php
from engine.billing.ubilling.state import BillingState

TODAY = date(2025, 3, 14)
BASE = "/billing/userstats/"
ROOT = Path(__file__).resolve().parent.parent
XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
EMPTY_XML = XML_HEAD + "<data>\n</data>\n"


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def make_app(**config: object) -> Flask:
    return create_ubilling_app(today=TODAY, config=config or None)


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def state_of(app: Flask) -> BillingState:
    return app.extensions["ubilling"].state


def call(client: FlaskClient, login: str = "demo1", password: str | None = None, *, method: str = "get",
         path: str = BASE, data: str | bytes | None = None, **params: str):
    """One request authenticated with uberlogin/uberpassword (the md5 of ``password``, default: the
    login, as the demo's passwords are)."""
    query = {"uberlogin": login, "uberpassword": md5(password if password is not None else login), **params}
    return getattr(client, method)(f"{path}?{urlencode(query)}", data=data)


def xa(client: FlaskClient, login: str = "demo1", **params: str):
    """An XMLAgent request."""
    return call(client, login, xmlagent="1", **params)


def xa_json(client: FlaskClient, login: str = "demo1", **params: str):
    response = xa(client, login, json="1", **params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    return json.loads(response.data)


# --- authentication ---------------------------------------------------------------------------------
def test_the_md5_of_the_password_authenticates(client: FlaskClient) -> None:
    response = xa(client, justauth="1")
    assert response.status_code == 200
    assert response.data == (XML_HEAD + "<data>\n\t<auth>1</auth>\n\t<login>demo1</login>\n"
                             "\t<message>Authentication successful</message>\n</data>\n").encode()
    assert xa_json(client, justauth="1") == {"auth": True, "login": "demo1", "message": "Authentication successful"}
    # MySQL compares MD5(password) with a case-insensitive collation
    assert call(client, "demo1", xmlagent="1", justauth="1").status_code == 200
    upper = client.get(f"{BASE}?xmlagent=1&justauth=1&uberlogin=demo1&uberpassword={md5('demo1').upper()}")
    assert upper.status_code == 200


@pytest.mark.parametrize("query", [
    f"uberlogin=demo1&uberpassword={md5('wrong')}",
    "uberlogin=demo1&uberpassword=demo1",                      # the plain password is not accepted
    "uberlogin=demo1",                                          # only uberlogin is tested for presence
    f"uberlogin=nobody&uberpassword={md5('nobody')}",
    f"uberlogin=demo1&uberpassword={md5('demo2')}",
])
def test_wrong_credentials_answer_401_with_the_bare_text(client: FlaskClient, query: str) -> None:
    for path in (BASE, BASE + "index.php"):
        response = client.get(f"{path}?xmlagent=1&json=1&{query}")
        assert response.status_code == 401
        assert response.data == b"ERROR_WRONG_UBERAUTH"
        assert response.headers["Content-Type"] == "text/html; charset=UTF-8"


def test_without_uberlogin_the_cabinet_cookie_login_is_used(client: FlaskClient) -> None:
    page = client.get(f"{BASE}?xmlagent=1&json=1")
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert b'name="ulogin"' in page.data and b"xml" not in page.data.split(b"\n")[0]

    login = client.post(BASE, data={"ulogin": "demo2", "upassword": "demo2"})
    cookies = login.headers.getlist("Set-Cookie")
    assert any(cookie.startswith(f"upassword={md5('demo2')};") for cookie in cookies)
    assert any(cookie.startswith("ulogin=demo2;") for cookie in cookies)
    assert b'document.location.href="index.php"' in login.data

    answer = client.get(f"{BASE}?xmlagent=1&json=1&justauth=1")    # the test client keeps the cookies
    assert json.loads(answer.data)["login"] == "demo2"


def test_ip_auth_mode_without_uberlogin() -> None:
    assert make_app(auth="ip").test_client().get(f"{BASE}?xmlagent=1").data == b"Unknown user EX_EMPTY_AUTHFAILREDIR"
    undefined = make_app(auth="ip", authfailredir=None).test_client()
    assert undefined.get(f"{BASE}?xmlagent=1").data == b"Unknown user EX_NO_AUTHFAILREDIR_DEFINED"
    local = make_app(auth="ip")
    state_of(local).users["demo2"].ip = "127.0.0.1"                   # the test client's address
    assert json.loads(local.test_client().get(f"{BASE}?xmlagent=1&json=1&justauth=1").data)["login"] == "demo2"


def test_a_user_denied_the_cabinet_gets_the_denial_page(app: Flask, client: FlaskClient) -> None:
    state_of(app).userstats_denied.add("demo1")
    response = xa(client, json="1")
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8" and b"Access denied" in response.data
    assert xa_json(client, "demo2", justauth="1")["login"] == "demo2"


def test_every_answer_sets_the_language_cookie(client: FlaskClient) -> None:
    for response in (xa(client), client.get(f"{BASE}?xmlagent=1&uberlogin=demo1&uberpassword=x")):
        assert re.fullmatch(r"zbs_lang=russian; expires=\w{3}, \d\d-\w{3}-\d{4} \d\d:\d\d:\d\d GMT; "
                            r"Max-Age=2592000", response.headers["Set-Cookie"])


def test_extended_auth_needs_the_md5_of_the_instance_serial() -> None:
    client = make_app(XMLAGENT_EXTENDED_AUTH_ON=1).test_client()
    expected = XML_HEAD + "<error>\n\t<reason>wrong_uberauth</reason>\n</error>\n"
    assert xa(client).data == expected.encode()
    assert xa(client, uberkey=md5("another serial")).data == expected.encode()
    assert xa_json(client, uberkey="0") == {"reason": "wrong_uberauth"}
    assert xa_json(client, uberkey=md5("UB0123456789abcdef0123456789abcdef"), justauth="1")["auth"] is True


# --- the common rendering --------------------------------------------------------------------------
DEMO1_XML = """<?xml version="1.0" encoding="utf-8"?>
<userdata>
\t<address>Киев Крещатик 1/5</address>
\t<realname>Иван Иванов</realname>
\t<login>demo1</login>
\t<cash>350</cash>
\t<ip>172.16.0.10</ip>
\t<phone>0441234567</phone>
\t<mobile>0501234567</mobile>
\t<email>demo1@example.com</email>
\t<credit>0</credit>
\t<creditexpire>No</creditexpire>
\t<payid>2886729738</payid>
\t<contract>10001</contract>
\t<contractdate>2022-03-15</contractdate>
\t<tariff>Home-100</tariff>
\t<tariffalias>Home-100</tariffalias>
\t<tariffnm>No</tariffnm>
\t<traffdownload>12.34 Gb</traffdownload>
\t<traffupload>1.5 Gb</traffupload>
\t<trafftotal>13.84 Gb</trafftotal>
\t<accountstate>active</accountstate>
\t<accountexpire>24</accountexpire>
\t<payedtilldate>07.04.2025</payedtilldate>
\t<payedtillvsrvincluded>0</payedtillvsrvincluded>
\t<vservicescost>200</vservicescost>
\t<currency>UAH</currency>
\t<version>2</version>
</userdata>
"""

DEMO1_JSON = (
    '{"address":"\\u041a\\u0438\\u0435\\u0432 \\u041a\\u0440\\u0435\\u0449\\u0430\\u0442\\u0438\\u043a 1\\/5",'
    '"realname":"\\u0418\\u0432\\u0430\\u043d \\u0418\\u0432\\u0430\\u043d\\u043e\\u0432","login":"demo1",'
    '"cash":350,"ip":"172.16.0.10","phone":"0441234567","mobile":"0501234567","email":"demo1@example.com",'
    '"credit":"0","creditexpire":"No","payid":"2886729738","contract":"10001","contractdate":"2022-03-15",'
    '"tariff":"Home-100","tariffalias":"Home-100","tariffnm":"No","traffdownload":"12.34 Gb",'
    '"traffupload":"1.5 Gb","trafftotal":"13.84 Gb","accountstate":"active","accountexpire":24,'
    '"payedtilldate":"07.04.2025","payedtillvsrvincluded":0,"vservicescost":200,"currency":"UAH","version":"2"}')


def test_user_data_xml_is_byte_exact(client: FlaskClient) -> None:
    response = xa(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text; charset=UTF-8"
    assert response.data == DEMO1_XML.encode("utf-8")


def test_user_data_json_is_json_encode_output(client: FlaskClient) -> None:
    response = xa(client, json="1")
    assert response.data.decode("ascii") == DEMO1_JSON
    assert list(json.loads(response.data)) == [
        "address", "realname", "login", "cash", "ip", "phone", "mobile", "email", "credit", "creditexpire", "payid",
        "contract", "contractdate", "tariff", "tariffalias", "tariffnm", "traffdownload", "traffupload",
        "trafftotal", "accountstate", "accountexpire", "payedtilldate", "payedtillvsrvincluded", "vservicescost",
        "currency", "version"]


def test_answer_headers(client: FlaskClient) -> None:
    for response in (xa(client, payments="1"), xa(client, payments="1", json="1")):
        assert response.headers["Cache-Control"] == "no-store, no-cache, must-revalidate"
        assert response.headers["Pragma"] == "no-cache"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", response.headers["Last-Modified"])


def test_user_data_of_other_subscribers() -> None:
    client = make_app(ONLINELEFT_COUNT=0).test_client()
    demo2 = xa_json(client, "demo2")
    assert (demo2["cash"], demo2["credit"], demo2["accountexpire"], demo2["payedtilldate"]) == (-120.5, "0", "No",
                                                                                             "none")
    assert xa(client, "demo2").data.count(b"\t<cash>-120.5</cash>\n") == 1
    assert xa_json(client, "frozen1")["accountstate"] == "frozen"
    assert xa_json(client, "down1")["accountstate"] == "active + disabled"
    rich = xa_json(client, "rich1")
    assert rich["address"] == "Бровары Независимости 7"          # ZERO_TOLERANCE: apartment 0 is a house
    assert (rich["traffdownload"], rich["trafftotal"]) == ("250.5 Gb", "290.5 Gb")
    credit = xa_json(client, "credit1")
    assert (credit["credit"], credit["creditexpire"]) == ("460", "17-03-2025")


def test_address_struct_option_inserts_fields_after_the_address() -> None:
    keys = list(xa_json(make_app(UBA_XML_ADDRESS_STRUCT=1).test_client()))
    assert keys[:6] == ["address", "cityname", "streetname", "buildnum", "apt", "realname"]


def test_unknown_or_empty_switch_answers_user_data(client: FlaskClient) -> None:
    assert xa(client, foo="1").data == DEMO1_XML.encode()
    assert xa(client, payments="0").data == DEMO1_XML.encode()       # "0" is empty() in PHP
    assert xa(client, json="0").data == DEMO1_XML.encode()
    assert xa(client, json="").data == DEMO1_XML.encode()


@pytest.mark.parametrize("switch, option", [("payments", "PAYMENTS_ENABLED"), ("tickets", "TICKETING_ENABLED"),
                                            ("opayz", "OPENPAYZ_ENABLED"), ("announcements", "AN_ENABLED"),
                                            ("ukv", "UKV_ENABLED")])
def test_a_disabled_feature_answers_the_empty_envelope(switch: str, option: str) -> None:
    client = make_app(**{option: 0}).test_client()
    assert xa(client, **{switch: "1"}).data == EMPTY_XML.encode()
    assert xa(client, **{switch: "1", "json": "1"}).data == b"[]"


def test_uba_disabled_answers_the_disabled_error() -> None:
    client = make_app(UBA_ENABLED=0).test_client()
    response = xa(client, payments="1")
    assert (response.status_code, response.headers["Content-Type"]) == (200, "text; charset=UTF-8")
    assert response.data == (XML_HEAD + "<error>\n\t<reason>disabled</reason>\n</error>\n").encode()
    assert xa(client, json="1").data == b'{"reason":"disabled"}'
    assert make_app(UBA_ENABLED=None).test_client().get(               # a missing key is off too
        f"{BASE}?xmlagent=1&json=1&uberlogin=demo1&uberpassword={md5('demo1')}").data == b'{"reason":"disabled"}'


def test_the_last_matching_switch_wins_and_sections_accumulate(client: FlaskClient) -> None:
    both = xa(client, payments="1", freezedata="1")
    assert both.data.startswith((XML_HEAD + "<freezedata>\n<payment>\n\t<result>Success</result>\n").encode())
    assert both.data.endswith(b"</payment>\n</freezedata>\n")
    as_json = xa_json(client, payments="1", freezedata="1")
    assert isinstance(as_json, list) and as_json[0]["result"] == "Success"
    # justauth replaces the payments, yet their subsection stays: a list of one
    assert xa_json(client, payments="1", justauth="1") == [{"auth": True, "login": "demo1",
                                                             "message": "Authentication successful"}]


def test_wrong_module_dies(client: FlaskClient) -> None:
    response = call(client, module="nosuchmodule", agentcredit="1", json="1")
    assert (response.status_code, response.data) == (200, b"Wrong module")


# --- request types -----------------------------------------------------------------------------------
def test_payments_are_newest_first_with_the_balance_before(client: FlaskClient) -> None:
    payments = xa_json(client, payments="1")
    assert payments[0] == {"date": "2025-03-03 10:15:00", "summ": "600", "balance": "-250"}
    assert payments[1] == {"date": "2025-03-01 00:00:30", "summ": "-50", "balance": "-200"}
    assert len(payments) == 9
    dates = [payment["date"] for payment in payments]
    assert dates == sorted(dates, reverse=True)
    # with the tariff fees (a table of their own) every movement starts from where the previous ended
    fees = [fee for fee in xa_json(client, feecharges="1") if fee["type"] == "mainsrv"]
    movements = sorted(payments + fees, key=lambda row: row["date"])
    for older, newer in zip(movements, movements[1:]):
        assert float(newer["balance"]) == float(older["balance"]) + float(older["summ"])
    assert float(movements[-1]["balance"]) + float(movements[-1]["summ"]) == 350
    xml = xa(client, payments="1").data.decode()
    assert xml.startswith(XML_HEAD + "<data>\n<payment>\n\t<date>2025-03-03 10:15:00</date>\n\t<summ>600</summ>\n"
                                     "\t<balance>-250</balance>\n</payment>\n<payment>\n")


def test_payments_options() -> None:
    client = make_app(PAYMENTS_ONLYPOSITIVE=1, PAYMENTS_DEPTH_LIMIT=2).test_client()
    assert xa_json(client, payments="1") == [{"date": "2025-03-03 10:15:00", "summ": "600", "balance": "-250"},
                                             {"date": "2025-02-03 10:15:00", "summ": "700", "balance": "-300"}]


def test_fee_charges_oldest_first_and_filtered_by_dates(client: FlaskClient) -> None:
    everything = xa_json(client, feecharges="1")
    assert len(everything) == 9
    assert everything[0] == {"date": "2025-01-01 00:00:10", "summ": "-450", "balance": "300", "note": "",
                             "type": "mainsrv"}
    assert everything[1] == {"date": "2025-01-01 00:00:20", "summ": "-150", "balance": "-150", "note": "TV Basic",
                             "type": "virtualsrv"}
    march = xa_json(client, feecharges="1", datefrom="2025-03-01", dateto="2025-03-31")
    assert [(fee["date"], fee["note"]) for fee in march] == [
        ("2025-03-01 00:00:10", ""), ("2025-03-01 00:00:20", "TV Basic"), ("2025-03-01 00:00:30", "Static IP")]
    february = xa_json(client, feecharges="1", datefrom="2025-02-01", dateto="2025-02-28")
    assert {fee["date"][:7] for fee in february} == {"2025-02"} and len(february) == 3
    assert xa_json(client, feecharges="1", datefrom="2025-04-01") == []
    assert xa(client, feecharges="1", dateto="2024-12-31").data == EMPTY_XML.encode()


def test_other_charges_are_fee_charges_of_type_other(client: FlaskClient) -> None:
    xa(client, dofreeze="1")
    last = xa_json(client, feecharges="1")[-1]
    assert (last["summ"], last["balance"], last["note"], last["type"]) == ("-50", "350", "AFFEE_XMLAGENT", "other")


def test_tariff_and_virtual_services(client: FlaskClient) -> None:
    assert xa(client, tariffvservices="1").data == (
        XML_HEAD + "<data>\n<tariffvservices>\n\t<tariffname>Home-100</tariffname>\n\t<tariffprice>450</tariffprice>\n"
        "\t<tariffdaysperiod>month</tariffdaysperiod>\n</tariffvservices>\n<tariffvservices>\n"
        "\t<vsrvname>TV Basic</vsrvname>\n\t<vsrvprice>150</vsrvprice>\n\t<vsrvdaysperiod>30</vsrvdaysperiod>\n"
        "</tariffvservices>\n<tariffvservices>\n\t<vsrvname>Static IP</vsrvname>\n\t<vsrvprice>50</vsrvprice>\n"
        "\t<vsrvdaysperiod>30</vsrvdaysperiod>\n</tariffvservices>\n</data>\n").encode()
    assert xa_json(client, "demo2", tariffvservices="1") == [
        {"tariffname": "Home-50", "tariffprice": "250", "tariffdaysperiod": "month"}]


def test_catalogue_leaves_out_lousy_tariffs_and_archived_services(client: FlaskClient) -> None:
    catalogue = xa_json(client, "demo2", activetariffsvservices="1")
    assert [entry.get("tariffname", entry.get("vsrvname")) for entry in catalogue] == [
        "Home-50", "Home-100", "Home-300", "Daily-15", "TV Basic", "Static IP"]
    assert catalogue[3] == {"tariffname": "Daily-15", "tariffprice": "15", "tariffdaysperiod": "day"}


def test_tariffs_allowed_to_switch_to(client: FlaskClient) -> None:
    assert xa_json(client, tarifftoswitchallowed="1") == [{"tariff": "Home-50"}, {"tariff": "Home-100"},
                                                          {"tariff": "Home-300"}]
    assert xa(client, tarifftoswitchallowed="1").data == (
        XML_HEAD + "<data>\n<tarifftoswitchallowed>\n\t<tariff>Home-50</tariff>\n</tarifftoswitchallowed>\n"
        "<tarifftoswitchallowed>\n\t<tariff>Home-100</tariff>\n</tarifftoswitchallowed>\n<tarifftoswitchallowed>\n"
        "\t<tariff>Home-300</tariff>\n</tarifftoswitchallowed>\n</data>\n").encode()
    assert xa_json(client, "rich1", tarifftoswitchallowed="1") == []      # Home-300 is not a tariff to move from
    spaced = make_app(TC_TARIFFENABLEDFROM="Home-50, Home-100").test_client()
    assert xa_json(spaced, tarifftoswitchallowed="1") == []               # the lists are not trimmed


def test_freeze_data_fields(client: FlaskClient) -> None:
    data = xa_json(client, freezedata="1")
    assert data == {
        "result": "Success", "message": "", "freezeSelfAvailable": True, "activationCost": "50",
        "tariffsAllowedList": "Home-50,Home-100,Home-300", "tariffAllowedAny": False,
        "negativeBalanceFreezeAllowed": False, "userBalance": "350", "userTariff": "Home-100",
        "userTariffFreezePrice": "30", "freezeStatus": "unfrozen", "dateFrom": "", "dateTo": "",
        "freezeDaysChargeActive": False, "freezeDaysTotal": None, "freezeDaysRestore": None, "freezeDaysUsed": None,
        "freezeDaysAvailable": None, "freezeDaysWorked": None, "freezeDaysLeftToWork": None}
    assert list(data) == list(json.loads(xa(client, freezedata="1", json="1").data))
    xml = xa(client, freezedata="1").data.decode()
    assert xml.startswith(XML_HEAD + "<freezedata>\n\t<result>Success</result>\n\t<message></message>\n"
                                     "\t<freezeSelfAvailable>1</freezeSelfAvailable>\n")
    assert "\t<tariffAllowedAny></tariffAllowedAny>\n" in xml and "\t<freezeDaysTotal></freezeDaysTotal>\n" in xml
    frozen = xa_json(client, "frozen1", freezedata="1")
    assert (frozen["freezeStatus"], frozen["dateFrom"], frozen["dateTo"]) == ("frozen", "2025-03-04 12:00:00", "")


def test_freeze_days_charge_and_the_date_to_minutes_bug() -> None:
    frozen = xa_json(make_app(FREEZE_DAYS_CHARGE_ENABLED=1).test_client(), "frozen1", freezedata="1")
    assert frozen["dateTo"] == "2025-03-14 12:03:00"                    # 'H:m:s': the month where minutes go
    assert (frozen["freezeDaysTotal"], frozen["freezeDaysUsed"], frozen["freezeDaysAvailable"],
            frozen["freezeDaysRestore"], frozen["freezeDaysWorked"], frozen["freezeDaysLeftToWork"]) == (
        365, "10", 355, 120, "3", 117)


def test_do_freeze_charges_and_freezes_once(app: Flask, client: FlaskClient) -> None:
    first = xa(client, dofreeze="1")
    assert first.data == (XML_HEAD + "<dofreeze>\n\t<result>Success</result>\n"
                                     "\t<message>User 'demo1' has been frozen</message>\n</dofreeze>\n").encode()
    assert xa_json(client, dofreeze="1") == {"result": "Failure", "message": "User 'demo1' is already frozen"}
    assert xa_json(client, payments="1")[0]["summ"] == "-50"
    assert xa_json(client, payments="1")[0]["balance"] == "350"
    profile = xa_json(client)
    assert (profile["cash"], profile["accountstate"]) == (300, "frozen")
    assert xa_json(client, freezedata="1")["freezeStatus"] == "frozen"
    assert len(xa_json(client, payments="1")) == 10                    # charged once
    assert state_of(app).payments[-1].note == "AFFEE_XMLAGENT"
    assert [log.event for log in state_of(app).weblogs[-2:]] == [
        "CHANGE Passive (demo1) ON 1", "XMLAGENT: REST API is the source of previous action"]


def test_do_unfreeze(client: FlaskClient) -> None:
    assert xa_json(client, "frozen1", dounfreeze="1") == {"result": "Success",
                                                          "message": "User 'frozen1' has been UNfrozen"}
    assert xa_json(client, "frozen1", dounfreeze="1") == {"result": "Failure",
                                                          "message": "User 'frozen1' is already UNfrozen"}
    assert xa_json(client, "frozen1")["accountstate"] == "active"
    assert xa(client, "frozen1", dounfreeze="1").data == (
        XML_HEAD + "<dounfreeze>\n\t<result>Failure</result>\n"
                   "\t<message>User 'frozen1' is already UNfrozen</message>\n</dounfreeze>\n").encode()
    locked = make_app(XMLAGENT_SELF_UNFREEZE_ALLOWED=0).test_client()
    assert xa_json(locked, "frozen1", dounfreeze="1") == {"result": "Failure", "message": "Feature is not allowed"}
    assert xa_json(locked, "frozen1")["accountstate"] == "frozen"


def test_open_payz_links(client: FlaskClient) -> None:
    assert xa(client, opayz="1", json="1").data == (
        b'[{"name":"liqpay","url":"https:\\/\\/pay.example.net\\/openpayz\\/backend\\/liqpay\\/?customer_id='
        b'2886729738","description":"LiqPay (Visa\\/MasterCard)"},{"name":"easypay","url":"https:\\/\\/'
        b'pay.example.net\\/openpayz\\/backend\\/easypay\\/?customer_id=2886729738","description":'
        b'"EasyPay terminals"}]')
    assert xa(client, opayz="1").data.decode().startswith(
        XML_HEAD + "<data>\n<paysys>\n\t<name>liqpay</name>\n"
                   "\t<url>https://pay.example.net/openpayz/backend/liqpay/?customer_id=2886729738</url>\n")
    assert xa_json(client, "demo2", opayz="1")[0]["url"].endswith("?customer_id=2886729739")


def test_announcements_as_messages(client: FlaskClient) -> None:
    assert xa(client, announcements="1").data == (
        XML_HEAD + "<data>\n"
        '<message unic="3" title="Плановые работы">Сеть будет недоступна с 02:00 до 04:00 & позже</message>\n'
        '<message unic="2" title="Maintenance"><b>Network works</b> on Monday 02:00-04:00</message>\n'
        '<message unic="1" title="Новые тарифы">С 1 числа доступен тариф Home-300. Подробнее: '
        "https://isp.example.net/</message>\n</data>\n").encode()
    listed = xa_json(client, announcements="1")
    assert [(item["unic"], item["read"], item["type"]) for item in listed] == [("3", 0, "text"), ("2", 0, "html"),
                                                                              ("1", 1, "text")]
    assert listed[1]["text"] == "<b>Network works</b> on Monday 02:00-04:00"
    assert b'"text":"<b>Network works<\\/b> on Monday' in xa(client, announcements="1", json="1").data


def test_annreadall_marks_every_announcement_read_for_this_user_only(client: FlaskClient) -> None:
    assert xa(client, annreadall="1").data == EMPTY_XML.encode()
    assert xa(client, annreadall="1", json="1").data == b"[]"
    assert {item["read"] for item in xa_json(client, announcements="1")} == {1}
    assert {item["read"] for item in xa_json(client, "demo2", announcements="1")} == {0}


def test_support_tickets_created_and_listed(app: Flask, client: FlaskClient) -> None:
    text = base64.b64encode("Нет связи <b>совсем</b> + 1".encode()).decode()
    created = xa(client, ticketcreate="1", tickettype="support_request", tickettext=text)
    assert created.data == (XML_HEAD + "<data>\n\t<created>success</created>\n\t<id>4</id>\n</data>\n").encode()
    reply = xa_json(client, ticketcreate="1", tickettype="support_request", tickettext=text, reply_id="2")
    assert reply == {"created": "success", "id": "5"}
    tickets = xa_json(client, tickets="1")
    assert [ticket["id"] for ticket in tickets] == ["4", "5", "2", "1"]
    assert tickets[0] == {"id": "4", "date": tickets[0]["date"], "from": "demo1", "to": None, "replyid": None,
                          "status": "0", "text": "Нет связи совсем + 1"}
    assert tickets[0]["date"].startswith("2025-03-14 ") and tickets[1]["replyid"] == "2"
    assert "\t<replyid></replyid>\n" in xa(client, tickets="1").data.decode()
    assert [ticket["id"] for ticket in xa_json(client, "demo2", tickets="1")] == ["3"]
    # an unknown type, or no text, creates nothing
    assert xa(client, ticketcreate="1", tickettype="complaint", tickettext=text).data == EMPTY_XML.encode()
    assert xa_json(client, ticketcreate="1", tickettype="support_request") == []
    assert len(state_of(app).tickets) == 5


def test_a_plus_in_the_ticket_text_must_be_url_encoded(client: FlaskClient) -> None:
    text = base64.b64encode("Нет связи >>>".encode()).decode()           # ends with "Pj4+"
    assert "+" in text
    raw = client.get(f"{BASE}?xmlagent=1&json=1&uberlogin=demo1&uberpassword={md5('demo1')}&ticketcreate=1"
                     f"&tickettype=support_request&tickettext={text}")
    encoded = xa_json(client, ticketcreate="1", tickettype="support_request", tickettext=text)
    assert json.loads(raw.data)["created"] == encoded["created"] == "success"
    texts = {ticket["id"]: ticket["text"] for ticket in xa_json(client, tickets="1")}
    assert texts["5"] == "Нет связи >>>"
    assert texts["4"] != texts["5"]                  # the "+" arrived as a space, which base64 skips


def test_signup_request_from_the_json_body(app: Flask, client: FlaskClient) -> None:
    body = json.dumps({"date": "2024-02-29 19:57:50", "state": 0, "ip": "10.0.0.1", "street": "Kyiv Main",
                       "build": "111", "apt": "222", "realname": "First Last", "phone": "0551234567",
                       "service": "Internet", "notes": "Call after 18:00"})
    answer = call(client, method="post", data=body, xmlagent="1", json="1", ticketcreate="1",
                  tickettype="signup_request")
    assert answer.data == b'{"created":"success","id":"1"}'
    assert state_of(app).signup_requests[0].fields["realname"] == "First Last"
    assert state_of(app).signup_requests[0].fields["state"] == "0"
    empty = call(client, method="post", data=b"", xmlagent="1", json="1", ticketcreate="1",
                 tickettype="signup_request")
    assert empty.data == b'{"created":"error","id":0}'
    unknown = call(client, method="post", data='{"color":"red"}', xmlagent="1", ticketcreate="1",
                   tickettype="signup_request")
    assert unknown.data == b"wrong data input: INSERT INTO `sigreq` (`id`,`color`) VALUES (NULL,'red')"


def test_agent_assigned(client: FlaskClient) -> None:
    agent = xa_json(client, agentassigned="1")
    assert len(agent) == 1 and list(agent[0])[:3] == ["id", "bankacc", "bankname"]
    assert agent[0]["id"] == "1" and list(agent[0])[-1] == "siteurl"
    assert xa(client, agentassigned="1").data.decode().startswith(XML_HEAD + "<data>\n<agentdata>\n\t<id>1</id>\n")
    assert xa_json(make_app(DEFAULT_ASSIGN_AGENT=None).test_client(), agentassigned="1") == []


# --- creditor and paycards ---------------------------------------------------------------------------
def credit(client: FlaskClient, login: str, **params: str):
    return call(client, login, module="creditor", agentcredit="1", **params)


def test_credit_succeeds_then_answers_already_have_a_credit(app: Flask, client: FlaskClient) -> None:
    first = credit(client, "demo2", json="1")
    assert first.data == b'{"status":0,"message":"success"}'
    second = credit(client, "demo2")
    assert second.headers["Content-Type"] == "text; charset=UTF-8"
    assert second.data == (XML_HEAD + "<data>\n\t<status>3</status>\n\t<message>already have a credit</message>\n"
                                      "</data>\n").encode()
    profile = xa_json(client, "demo2")
    assert (profile["credit"], profile["creditexpire"], profile["cash"]) == ("260", "19-03-2025", -130.5)
    assert xa_json(client, "demo2", payments="1")[0] == {"date": xa_json(client, "demo2", payments="1")[0]["date"],
                                                         "summ": "-10", "balance": "-120.5"}
    assert state_of(app).payments[-1].note == "SCFEE"
    assert state_of(app).credit_log[-1].login == "demo2"


@pytest.mark.parametrize("login, config, status, message", [
    ("demo1", {}, 5, "too much money"),
    ("demo2", {"SC_ENABLED": 0}, 1, "disabled"),
    ("demo2", {"SC_MINDAY": 1, "SC_MAXDAY": 10}, 2, "wrong day"),
    ("demo2", {"SC_MINDAY": 20, "SC_MAXDAY": 31}, 2, "wrong day"),
    ("credit1", {}, 3, "already have a credit"),
    ("frozen1", {}, 4, "account frozen"),
    ("down1", {}, 4, "account frozen"),
    ("demo2", {"SC_TARIFFSALLOWED": "Home-100,Home-300"}, 8, "not allowed on this tariff"),
])
def test_credit_refusals(login: str, config: dict[str, object], status: int, message: str) -> None:
    client = make_app(**config).test_client()
    assert json.loads(credit(client, login, json="1").data) == {"status": status, "message": message}


def test_credit_statuses_for_debt_and_repeated_use(app: Flask, client: FlaskClient) -> None:
    state = state_of(app)
    state.users["demo2"].cash = state.users["demo2"].cash - 200                # -320.5 is more than the fee
    assert json.loads(credit(client, "demo2", json="1").data) == {"status": 6, "message": "not enough money"}
    taker = state.users["credit1"]
    taker.credit, taker.credit_expire = taker.credit * 0, 0                    # its credit has been repaid
    assert json.loads(credit(client, "credit1", json="1").data) == {"status": 9,
                                                                    "message": "already used in this month"}
    hack = make_app(SC_HACKCONTROL=1)
    hack_taker = state_of(hack).users["credit1"]
    hack_taker.credit, hack_taker.credit_expire = hack_taker.credit * 0, 0
    assert json.loads(credit(hack.test_client(), "credit1", json="1").data) == {"status": 10,
                                                                                "message": "not paid previous"}


def test_paycards(client: FlaskClient) -> None:
    def card(serial: str | None, fmt: str = "json") -> bytes:
        params = {"module": "paycards", "agentpaycards": "1"} | ({"paycard": serial} if serial else {})
        return call(client, "demo2", **params, **({"json": "1"} if fmt == "json" else {})).data

    assert card("1111222233334444") == b'{"result":true,"message":"Card is successfully used"}'
    assert xa_json(client, "demo2")["cash"] == -20.5
    assert card("1111222233334444", "xml") == (XML_HEAD + "<data>\n\t<result>false</result>\n"
                                                          "\t<message>Invalid card</message>\n</data>\n").encode()
    assert card(None) == b'{"result":false,"message":"No card number provided"}'
    for _ in range(4):
        card("0000")
    assert card("5555666677778888") == b'{"result":false,"message":"Too many attempts"}'
    assert json.loads(card("5555666677778888"))["message"] == "Too many attempts"
    other = call(client, "demo1", module="paycards", agentpaycards="1", paycard="5555666677778888", json="1")
    assert json.loads(other.data) == {"result": True, "message": "Card is successfully used"}
    disabled = make_app(PC_ENABLED=0).test_client()
    assert json.loads(call(disabled, module="paycards", agentpaycards="1", paycard="1", json="1").data) == {
        "result": False, "message": "Paycards module is disabled"}


# --- state ---------------------------------------------------------------------------------------------
def test_state_persists_across_requests_and_apps_are_independent(client: FlaskClient) -> None:
    xa(client, dofreeze="1")
    credit(client, "demo2")
    assert xa_json(client)["accountstate"] == "frozen"
    assert xa_json(client, "demo2")["credit"] == "260"
    fresh = make_app().test_client()
    assert xa_json(fresh)["accountstate"] == "active" and xa_json(fresh, "demo2")["credit"] == "0"


def test_two_users_never_see_each_others_data(client: FlaskClient) -> None:
    xa(client, "demo2", dofreeze="1")
    demo1, demo2 = xa_json(client, payments="1"), xa_json(client, "demo2", payments="1")
    assert {row["summ"] for row in demo2} == {"250", "-50"}
    assert "600" in {row["summ"] for row in demo1} and "-50" in {row["summ"] for row in demo1}
    assert len(demo1) == 9 and len(demo2) == 3
    assert xa_json(client)["accountstate"] == "active"
    assert {fee["summ"] for fee in xa_json(client, "demo2", feecharges="1")} == {"-250", "-50"}
    assert xa_json(client, "demo2", tariffvservices="1")[0]["tariffname"] == "Home-50"
    assert xa_json(client, "demo2", justauth="1")["login"] == "demo2"


# --- faults and the served process --------------------------------------------------------------------
def test_a_fault_drops_the_answer_after_the_change(app: Flask, client: FlaskClient) -> None:
    app.extensions["ubilling"].faults.add(match=r"^GET /billing/userstats/$", mode="close_connection", seconds=0,
                                          times=1, execute=True)
    with pytest.raises(DropConnection):
        xa(client, dofreeze="1")
    assert xa_json(client, dofreeze="1")["result"] == "Failure"        # the freeze happened


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``python -m engine.billing.ubilling`` on a free port, with /__faults."""
    port = free_port()
    log_path = tmp_path / "ubilling.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "engine.billing.ubilling", "--port", str(port),
                                    "--today", TODAY.isoformat()], cwd=ROOT,
                                   env={**os.environ, "UBILLING_FAULTS_API_KEY": "fault-key"}, stdout=log,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if requests.get(base + "/healthz", timeout=1).text == "ok":
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the simulator did not start; its output:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_served_process_answers_and_can_drop_a_connection(served: str) -> None:
    auth = f"uberlogin=demo1&uberpassword={md5('demo1')}"
    answer = requests.get(f"{served}{BASE}?xmlagent=1&{auth}", timeout=5)
    assert answer.content == DEMO1_XML.encode()
    assert answer.headers["Content-Type"] == "text; charset=UTF-8"
    assert requests.get(f"{served}{BASE}index.php?xmlagent=1&uberlogin=demo1&uberpassword=x",
                        timeout=5).status_code == 401
    fault = requests.post(f"{served}/__faults", headers={"X-Api-Key": "fault-key"}, timeout=5,
                          json={"match": "^GET /billing/userstats/$", "mode": "close_connection", "times": 1,
                                "execute": True})
    assert fault.status_code == 201
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{served}{BASE}?xmlagent=1&dofreeze=1&{auth}", timeout=5)
    after = requests.get(f"{served}{BASE}?xmlagent=1&json=1&dofreeze=1&{auth}", timeout=5)
    assert after.json() == {"result": "Failure", "message": "User 'demo1' is already frozen"}
    moved = requests.get(f"{served}/billing/userstats?xmlagent=1", timeout=5, allow_redirects=False)
    assert (moved.status_code, moved.headers["Location"]) == (301, "/billing/userstats/?xmlagent=1")


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.data) == (200, b"ok")


# --- PHP semantics --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, as_string, as_json", [
    (350.0, "350", "350"), (-120.5, "-120.5", "-120.5"), (0.1 + 0.2, "0.3", "0.30000000000000004"),
    (1e25, "1.0E+25", "1.0e+25"), (0.00001, "1.0E-5", "1.0e-5"), (0.0001, "0.0001", "0.0001"),
    (2886729738.0, "2886729738", "2886729738"), (123456789012345.0, "1.2345678901234E+14", "123456789012345"),
])
def test_php_float_rendering(value: float, as_string: str, as_json: str) -> None:
    assert php.float_to_string(value) == as_string
    assert php.json_encode(value) == as_json


def test_php_json_and_strip_tags() -> None:
    assert php.json_encode({"a/b": "Ї \"q\" \\ \n"}) == '{"a\\/b":"\\u0407 \\"q\\" \\\\ \\n"}'
    assert php.json_encode({0: "x", 1: "y"}) == '["x","y"]' and php.json_encode({1: "y"}) == '{"1":"y"}'
    assert php.strip_tags('a <b class="x>y">bold</b> < c <!-- n --> <?php x ?>d') == "a bold < c  d"
    assert php.strip_tags("<b>k</b><i>no</i>", ["<b>"]) == "<b>k</b>no"
    assert php.base64_decode("0J/RgA") == "Пр".encode() and php.base64_decode("a") is None
