"""Checking the tokens Keycloak issues, before anything in them is believed: the signature with the
realm's published keys (JWKS; fetched again once when a token names a key not seen yet, as after a
key rotation), then the issuer, the audience or authorised party (this engine's client), the
expiry and not-before times, and for ID tokens the nonce of this sign-in."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Mapping

from jwcrypto import jwk, jws
from jwcrypto.common import JWException

LEEWAY_SECONDS = 30
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"]


class TokenRejected(Exception):
    """A token that is not good; ``reason`` says which check it failed (for the log, not for people)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TokenVerifier:
    def __init__(self, issuer: str, client_id: str, fetch_jwks: Callable[[], Mapping[str, Any]],
                 clock: Callable[[], float] = time.time):
        self.issuer = issuer
        self.client_id = client_id
        self._fetch_jwks = fetch_jwks
        self._clock = clock
        self._keys: jwk.JWKSet | None = None
        self._lock = threading.Lock()

    def verify(self, token: str, nonce: str | None = None) -> dict[str, Any]:
        claims = self._signed_claims(token)
        now = self._clock()
        if claims.get("iss") != self.issuer:
            raise TokenRejected(f"issuer {claims.get('iss')!r} is not {self.issuer!r}")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id not in audiences and claims.get("azp") != self.client_id:
            raise TokenRejected(f"issued for {audience!r}, not for {self.client_id!r}")
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or expires + LEEWAY_SECONDS < now:
            raise TokenRejected("expired")
        not_before = claims.get("nbf")
        if isinstance(not_before, (int, float)) and not_before - LEEWAY_SECONDS > now:
            raise TokenRejected("not valid yet")
        if nonce is not None and claims.get("nonce") != nonce:
            raise TokenRejected("the nonce is not this sign-in's")
        return claims

    def _signed_claims(self, token: str) -> dict[str, Any]:
        try:
            message = jws.JWS()
            message.deserialize(token)
        except (JWException, ValueError, TypeError) as exc:
            raise TokenRejected(f"not a signed token: {type(exc).__name__}") from None
        header = message.jose_header if isinstance(message.jose_header, dict) else {}
        if header.get("alg") not in ALGORITHMS:
            raise TokenRejected(f"algorithm {header.get('alg')!r} is not accepted")
        key = self._key(header.get("kid"))
        try:
            message.verify(key, alg=header["alg"])
        except (JWException, ValueError) as exc:
            raise TokenRejected(f"the signature does not verify: {type(exc).__name__}") from None
        try:
            claims = json.loads(message.payload)
        except ValueError:
            raise TokenRejected("the payload is not JSON") from None
        if not isinstance(claims, dict):
            raise TokenRejected("the payload is not an object")
        return claims

    def _key(self, kid: str | None) -> jwk.JWK:
        for attempt in range(2):
            with self._lock:
                if self._keys is None or attempt == 1:
                    self._keys = jwk.JWKSet.from_json(json.dumps(self._fetch_jwks()))
                keys = self._keys
            found = keys.get_key(kid) if kid else next(iter(keys["keys"]), None)
            if found is not None:
                return found
        raise TokenRejected(f"signed with a key the realm does not publish ({kid!r})")
