"""The icon vocabulary of the cabinet: the names an operator writes (``icon: lock``), the
other names operators are likely to write, and the Lucide icon (https://lucide.dev, ISC License)
each one is drawn with. One place: the compiler checks names against it, themes draw from it and
Directus offers its names."""
from __future__ import annotations

#: name -> Lucide's name
ICONS: dict[str, str] = {
    "home": "house",
    "wallet": "wallet",
    "credit-card": "credit-card",
    "news": "newspaper",
    "support": "headset",
    "chat": "message-circle",
    "lock": "lock",
    "lock-open": "lock-open",
    "history": "history",
    "settings": "settings",
    "plus": "plus",
    "logout": "log-out",
    "chevron-right": "chevron-right",
    "chevron-left": "chevron-left",
    "alert": "circle-alert",
    "warning": "triangle-alert",
    "info": "info",
    "success": "circle-check",
    "check": "check",
    "user": "user",
    "globe": "globe",
    "calendar": "calendar",
    "phone": "phone",
    "mail": "mail",
    "inbox": "inbox",
    "bell": "bell",
    "receipt": "receipt",
    "wifi": "wifi",
    "smartphone": "smartphone",
    "tv": "tv",
    "gift": "gift",
    "cart": "shopping-cart",
    "circle": "circle",
}

#: other names operators are likely to write -> the name above (written with - or _)
ALIASES: dict[str, str] = {
    "house": "home", "payment": "credit-card", "payments": "credit-card", "card": "credit-card",
    "pay": "credit-card", "top-up": "plus", "add": "plus", "newspaper": "news",
    "headset": "support", "help": "support", "message": "chat", "message-circle": "chat",
    "unlock": "lock-open", "block": "lock", "log-out": "logout", "sign-out": "logout",
    "alert-circle": "alert", "error": "alert", "danger": "alert", "alert-triangle": "warning",
    "check-circle": "success", "profile": "user", "account": "user", "language": "globe",
    "email": "mail", "empty": "inbox", "notifications": "bell", "internet": "wifi",
    "mobile": "smartphone", "bonus": "gift", "bonuses": "gift", "promised-payment": "gift",
    "catalog": "cart", "shop": "cart", "shopping-cart": "cart", "back": "chevron-left",
    "next": "chevron-right",
}

#: icons that point somewhere; right-to-left pages mirror them
DIRECTIONAL = frozenset({"chevron-right", "chevron-left", "logout"})


def icon_name(name: object) -> str | None:
    """The vocabulary's name for what an operator wrote (``lock_open``, ``unlock``), or None."""
    if not isinstance(name, str):
        return None
    key = name.replace("_", "-")
    key = ALIASES.get(key, key)
    return key if key in ICONS else None


def all_names() -> list[str]:
    """Every name an operator may write: the vocabulary and its aliases."""
    return sorted({*ICONS, *ALIASES})
