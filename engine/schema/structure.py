"""The shape of a cabinet schema, as marshmallow schemas.

This checks structure only (keys, types, formats). What needs a registry or the whole cabinet
(kinds, operations, data sources, expressions, translations) is checked by the compiler. Sections
and fields take their kind's options as extra keys, checked by that kind's options schema.
"""
from __future__ import annotations

import re
import zoneinfo

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages
from babel.numbers import get_currency_name
from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields as mf, validate, validates

from ..kinds.base import LocalizedText
from ..kinds.inputs import INPUT_KINDS

IDENTIFIER = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="use lowercase letters, digits and _ (e.g. top_up)")
COLOR = validate.Regexp(r"^#(?:[0-9a-fA-F]{3}){1,2}$", error="use a colour like #0A84FF")
ROUTE = validate.Regexp(r"^/(?:[a-z0-9_\-]+|<[a-z_]+>)?(?:/(?:[a-z0-9_\-]+|<[a-z_]+>))*$",
                        error="use a path like /services/<service_id> (lowercase, parameters in <>)")
LOCALE_SHAPE = validate.Regexp(r"^[a-z]{2,3}(?:_[A-Z]{2})?$", error="use a locale code such as ru or en")


class KnownLocale(validate.Validator):
    """A language Babel can format for: a code of the right shape may still name none (``kz`` is
    Kazakhstan; its languages are kk and ru), and every page in it would fail."""

    def __call__(self, value: str) -> str:
        LOCALE_SHAPE(value)
        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError):
            spoken = get_official_languages(value.upper()) if len(value) == 2 else ()
            hint = f" ({value!r} is a country: its languages are {', '.join(spoken)})" if spoken else ""
            raise ValidationError(f"unknown language {value!r}{hint}; use a language code such as ru, en or kk")
        return value


LOCALE = KnownLocale()


def is_known_locale(value: str) -> bool:
    try:
        LOCALE(value)
    except ValidationError:
        return False
    return True
ROLES = ("subscriber", "dealer", "operator", "guest")
STYLES = ("primary", "secondary", "danger", "link")
INPUT_TYPES = tuple(INPUT_KINDS)            # engine/kinds/inputs.py


class Strict(Schema):
    class Meta:
        unknown = RAISE


class OperatorSchema(Strict):
    name = LocalizedText(required=True)
    currency = mf.String(required=True)
    timezone = mf.String(load_default="Europe/Moscow")
    locales = mf.List(mf.String(validate=LOCALE), required=True, validate=validate.Length(min=1))
    support_email = mf.Email()                # support requests are e-mailed here
    sales_email = mf.Email()                  # applications from people who want to become clients
    top_up_min = mf.Decimal(load_default=None, allow_none=True, places=2, as_string=False)
    top_up_max = mf.Decimal(load_default=None, allow_none=True, places=2, as_string=False)
    support_screen = mf.String()              # public screens linked from the sign-in page:
    join_screen = mf.String()                 # "Написать в поддержку", "Стать клиентом"
    support_phone = mf.String()

    @validates("currency")
    def _currency(self, value, **kwargs):
        if not re.fullmatch(r"[A-Z]{3}", value) or get_currency_name(value, locale="en") == value:
            raise ValidationError("use an ISO 4217 currency code such as RUB, USD or EUR")

    @validates("timezone")
    def _timezone(self, value, **kwargs):
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError("use an IANA time zone such as Europe/Moscow") from None


class BrandingSchema(Strict):
    logo = mf.String()
    colors = mf.Dict(keys=mf.String(validate=IDENTIFIER), values=mf.String(validate=COLOR))
    font = mf.String(validate=validate.Regexp(r"^[A-Za-z0-9 \-]{1,40}$", error="use a font family name"))
    radius = mf.Integer(validate=validate.Range(0, 32))


class NavItemSchema(Strict):
    screen = mf.String(required=True)
    icon = mf.String(validate=IDENTIFIER)
    title = LocalizedText()


class DataCallSchema(Strict):
    op = mf.String()                          # a billing operation ...
    handler = mf.String()                     # ... or the engine's own data (autopay rule) ...
    content = mf.String()                     # ... or a content collection of the cabinet
    id = mf.String()                          # with content: an expression naming one item
    optional = mf.Boolean(load_default=False)  # a failure leaves it empty instead of degrading sections
    params = mf.Dict(keys=mf.String(), values=mf.String())
    timeout = mf.Float(validate=validate.Range(min=0.05, max=60))


class LinkSchema(Strict):
    screen = mf.String(required=True)
    params = mf.Dict(keys=mf.String(), values=mf.String())


class ChoiceSchema(Strict):
    value = mf.String(required=True)
    label = LocalizedText(required=True)


class InputSchema(Strict):
    name = mf.String(required=True, validate=IDENTIFIER)
    type = mf.String(required=True, validate=validate.OneOf(INPUT_TYPES))
    label = LocalizedText()
    required = mf.Boolean(load_default=False)
    min = mf.Raw()                        # a number or ISO date, or an expression over the screen's data
    max = mf.Raw()
    step = mf.Raw()
    min_length = mf.Integer(validate=validate.Range(min=0, max=100_000))
    max_length = mf.Integer(validate=validate.Range(min=1, max=100_000))
    pattern = mf.String()                 # a regular expression the whole text must match
    message = LocalizedText()             # shown next to the input when its value is refused
    default = mf.String()                 # an expression
    choices = mf.List(mf.Nested(ChoiceSchema))
    choices_from = mf.String()            # an expression giving a list
    choice_value = mf.String()            # an expression on each element
    choice_label = mf.String()
    # an expression: a choice with this value is left out (``exclude`` is also a Schema attribute)
    excluded = mf.String(data_key="exclude")
    help = LocalizedText()


class ItemActionSchema(Strict):
    action = mf.String(required=True)         # the id of an op or handler action
    params = mf.Dict(keys=mf.String(), values=mf.String())   # form values from the item (expressions)
    visible_if = mf.String()                  # on the item


class FieldSchema(Schema):
    class Meta:
        unknown = INCLUDE                     # extra keys are the kind's options

    type = mf.String(required=True)
    key = mf.String()
    label = LocalizedText()
    value = mf.String()
    visible_if = mf.String()
    options = mf.Dict()


class SectionSchema(Schema):
    class Meta:
        unknown = INCLUDE                     # extra keys are the kind's options

    type = mf.String(required=True)
    id = mf.String(validate=IDENTIFIER)
    title = LocalizedText()
    visible_if = mf.String()
    field_list = mf.List(mf.Nested(FieldSchema), data_key="fields")
    items = mf.String()
    link = mf.Nested(LinkSchema)
    actions = mf.List(mf.Raw())              # action ids: the compiler names a wrong one at its place
    item_actions = mf.List(mf.Nested(ItemActionSchema))
    sections = mf.List(mf.Nested(lambda: SectionSchema()))
    inputs = mf.List(mf.Nested(InputSchema))
    submit = mf.String()
    options = mf.Dict()


class ScreenSchema(Strict):
    id = mf.String(required=True, validate=IDENTIFIER)
    route = mf.String(required=True, validate=ROUTE)
    title = LocalizedText(required=True)
    roles = mf.List(mf.String(validate=validate.OneOf(ROLES)), load_default=lambda: ["subscriber"])
    parent = mf.String()
    data = mf.Dict(keys=mf.String(validate=IDENTIFIER), values=mf.Nested(DataCallSchema))
    sections = mf.List(mf.Nested(SectionSchema), required=True)
    # a binding without its data's operations refuses the cabinet instead of hiding the screen
    required = mf.Boolean(load_default=False)


class ActionSchema(Strict):
    id = mf.String(required=True, validate=IDENTIFIER)
    title = LocalizedText(required=True)
    icon = mf.String(validate=IDENTIFIER)
    style = mf.String(validate=validate.OneOf(STYLES), load_default="secondary")
    screen = mf.String()                  # a link to a screen ...
    op = mf.String()                      # ... or a billing operation run on POST
    handler = mf.String()                 # ... or an action the engine performs (sign_out ...)
    params = mf.Dict(keys=mf.String(), values=mf.String())
    visible_if = mf.String()
    confirm = LocalizedText()
    confirm_label = LocalizedText()       # the button of the confirmation step ("Сменить")
    success = LocalizedText()
    next = mf.String()                    # screen to show after success
    roles = mf.List(mf.String(validate=validate.OneOf(ROLES)))
    required = mf.Boolean(load_default=False)   # without its operation: refused, not hidden


class CabinetSchema(Strict):
    schema_version = mf.Integer(required=True, strict=True)
    operator = mf.Nested(OperatorSchema, required=True)
    branding = mf.Nested(BrandingSchema, load_default=dict)
    navigation = mf.List(mf.Nested(NavItemSchema), load_default=list)
    screens = mf.List(mf.Nested(ScreenSchema), required=True, validate=validate.Length(min=1))
    actions = mf.List(mf.Nested(ActionSchema), load_default=list)
    shared_sections = mf.Dict()
    content = mf.Dict(keys=mf.String(validate=IDENTIFIER), values=mf.List(mf.Dict()))
    translations = mf.Dict(keys=mf.String(validate=validate.Length(1, 500)), values=mf.Raw())  # see ui_texts.py


def flatten_errors(messages, path=()):
    """marshmallow's nested error dict -> [(path, message)]."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                yield from flatten_errors(value, path)
            else:
                yield from flatten_errors(value, path + (key,))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            for message in messages:
                yield path, _friendly(message)
        else:
            for item in messages:
                yield from flatten_errors(item, path)
    else:
        yield path, _friendly(str(messages))


def _friendly(message: str) -> str:
    return {
        "Unknown field.": "unknown key; check its spelling or remove it",
        "Missing data for required field.": "is required",
    }.get(message, message.rstrip(".") if message.endswith(".") else message)


def keys_of(schema: Schema) -> tuple[str, ...]:
    """The keys a schema reads (data keys, not attribute names), in the order it declares them."""
    return tuple(field.data_key or name for name, field in schema.fields.items())


def text_keys_of(schema: Schema) -> tuple[str, ...]:
    """The keys whose values are operator texts (translated)."""
    return tuple(field.data_key or name for name, field in schema.fields.items() if isinstance(field, LocalizedText))
