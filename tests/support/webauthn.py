"""Chromium's DevTools virtual authenticator: a device with a fingerprint reader that always says
yes, for the passkey tests."""
from __future__ import annotations


def add_virtual_authenticator(context, page) -> None:
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
