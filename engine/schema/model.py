"""The compiled cabinet: immutable, versioned, ready to serve. Requests never parse a schema."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

from ..billing.contract import Operation
from ..kinds.inputs import INPUT_KINDS, InputKind
from ..kinds.listing import Listing
from .errors import Location
from .expressions import Expr, Text, truthy
from .palette import BASE_LIGHT, dark_palette, light_palette


def frozen_map(value: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class DataCall:
    name: str
    operation: Operation | None         # a billing operation or a handler's, None for a content collection
    params: Mapping[str, Expr]          # explicit params; the rest are filled by name at run time
    timeout: float | None = None
    content: str | None = None          # the collection read instead of the billing
    item_id: Expr | None = None         # with content: one item instead of the list
    optional: bool = False              # a failure leaves it empty (null) and degrades nothing
    handler: str | None = None          # the engine handler that provides it instead of the billing


@dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: Any                           # a FieldKind instance
    label: Text | None
    value: Expr | None
    options: Mapping[str, Any]
    visible_if: Expr | None = None
    origin: Location | None = None      # where the operator wrote it (file:line, or a Directus item)


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    label: Text | None
    required: bool = False
    min: Any = None                     # a literal (Decimal, date) or an Expr over the screen's data
    max: Any = None
    step: Any = None
    default: Expr | None = None
    choices: tuple[Choice, ...] = ()
    choices_from: Expr | None = None
    choice_value: Expr | None = None
    choice_label: Expr | None = None
    exclude: Expr | None = None
    help: Text | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern | None = None
    message: Text | None = None         # the operator's words for a refused value

    @property
    def kind(self) -> InputKind:
        """What the input's type does with a submitted value (engine/kinds/inputs.py)."""
        return INPUT_KINDS[self.type]


@dataclass(frozen=True)
class LinkSpec:
    screen: str
    params: Mapping[str, Expr]          # evaluated on the item for list links


@dataclass(frozen=True)
class ItemAction:
    action: str
    params: Mapping[str, Expr]          # evaluated on the item: the form's values
    visible_if: Expr | None = None

    def offered_on(self, item: Mapping[str, Any]) -> bool:
        return self.visible_if is None or truthy(self.visible_if.evaluate(item))

    def form_values(self, item: Mapping[str, Any]) -> dict[str, str]:
        """The form values of the button on ``item``, as text (the way a browser sends them)."""
        values = {name: expr.evaluate(item) for name, expr in self.params.items()}
        return {k: "" if v is None else str(v) for k, v in values.items()}


@dataclass(frozen=True)
class SectionSpec:
    id: str
    kind: Any                           # a SectionKind instance
    title: Text | None
    options: Mapping[str, Any]
    fields: tuple[FieldSpec, ...] = ()
    visible_if: Expr | None = None
    items: Expr | None = None
    link: LinkSpec | None = None
    actions: tuple[str, ...] = ()
    item_actions: tuple[ItemAction, ...] = ()
    children: tuple["SectionSpec", ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    submit: str | None = None
    depends_on: frozenset[str] = frozenset()   # data names whose failure degrades this section
    origin: Location | None = None      # where the operator wrote it (file:line, or a Directus item)


@dataclass(frozen=True)
class ActionSpec:
    id: str
    title: Text
    style: str
    icon: str = ""
    screen: str | None = None           # a link action ...
    operation: Operation | None = None  # ... or an operation run on POST: the billing's,
    handler: str | None = None          # or, when this names one, an engine handler's
    params: Mapping[str, Expr] = field(default_factory=frozen_map)
    visible_if: Expr | None = None
    confirm: Text | None = None
    confirm_label: Text | None = None
    success: Text | None = None
    next: str | None = None
    roles: tuple[str, ...] = ()
    required: bool = False          # without its operation the cabinet is refused, not the action hidden


@dataclass(frozen=True)
class ScreenSpec:
    id: str
    route: str
    title: Text
    roles: tuple[str, ...]
    data: Mapping[str, DataCall]
    sections: tuple[SectionSpec, ...]
    route_params: tuple[str, ...] = ()
    parent: str | None = None
    required: bool = False          # without its data's operations the cabinet is refused, not the screen hidden
    #: data name -> the one list that reads it, whose page alone the billing may give (compile/lists.py)
    paged: Mapping[str, Listing] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class NavItem:
    screen: str
    icon: str
    title: Text


@dataclass(frozen=True)
class Operator:
    name: Text
    currency: str
    timezone: str
    locales: tuple[str, ...]
    support_email: str = ""
    sales_email: str = ""
    support_phone: str = ""
    support_screen: str = ""
    join_screen: str = ""
    top_up_min: Decimal = Decimal("10.00")       # the amounts a card top-up may have
    top_up_max: Decimal = Decimal("15000.00")

    @property
    def default_locale(self) -> str:
        return self.locales[0]


@dataclass(frozen=True)
class Branding:
    logo: str = ""
    colors: Mapping[str, str] = field(default_factory=frozen_map)   # as the operator wrote them
    font: str = ""
    radius: int | None = None
    # The effective palettes (name -> "#rrggbb"): the base theme's defaults overlaid with the operator's
    # colours, and the dark palette derived from them. The compiler computes them; templates emit them.
    light: Mapping[str, str] = field(default_factory=lambda: light_palette({}))
    dark: Mapping[str, str] = field(default_factory=lambda: dark_palette(BASE_LIGHT))


@dataclass(frozen=True)
class Cabinet:
    version: str                        # fingerprint of the source content
    source_label: str
    operator: Operator
    branding: Branding
    navigation: tuple[NavItem, ...]
    screens: Mapping[str, ScreenSpec]   # in schema order
    actions: Mapping[str, ActionSpec]
    operations_used: frozenset[str] = frozenset()
    content: Mapping[str, Any] = field(default_factory=frozen_map)   # name -> content.Collection
    honeypots: Mapping[str, frozenset[str]] = field(default_factory=frozen_map)  # action -> trap inputs
    ui_texts: Mapping[str, Mapping[str, str]] = field(default_factory=frozen_map)  # locale -> engine text -> own
    #: what was hidden because the binding lacks its operations, in one line ("" when nothing was)
    hidden_note: str = ""

    def screens_for(self, roles) -> list[ScreenSpec]:
        roles = set(roles)
        return [s for s in self.screens.values() if roles & set(s.roles)]
