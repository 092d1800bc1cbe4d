"""Keycloak's tokens are checked before anything in them is believed: signature (with the realm's
keys, refetched after a rotation), issuer, audience, expiry, nonce."""
from __future__ import annotations

import json
import time

import pytest
from jwcrypto import jwk, jwt

from engine.web.auth.tokens import TokenRejected, TokenVerifier

ISSUER = "http://127.0.0.1:8080/realms/cabinet"


def key(kid: str) -> jwk.JWK:
    return jwk.JWK.generate(kty="RSA", size=2048, kid=kid)


def token(signing: jwk.JWK, **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "cabinet-engine", "azp": "cabinet-engine", "sub": "u1", "exp": now + 300,
            "iat": now, "preferred_username": "demo1", "realm_access": {"roles": ["subscriber"]}, **claims}
    signed = jwt.JWT(header={"alg": "RS256", "kid": signing["kid"]}, claims=body)
    signed.make_signed_token(signing)
    return signed.serialize()


def verifier(*keys: jwk.JWK) -> TokenVerifier:
    return TokenVerifier(ISSUER, "cabinet-engine", lambda: {"keys": [json.loads(k.export_public()) for k in keys]})


def test_a_good_token_gives_its_claims():
    realm = key("k1")
    claims = verifier(realm).verify(token(realm, nonce="n-1"), nonce="n-1")
    assert claims["preferred_username"] == "demo1" and claims["realm_access"]["roles"] == ["subscriber"]


@pytest.mark.parametrize("claims, reason", [
    ({"iss": "http://127.0.0.1:8080/realms/other"}, "issuer"),
    ({"aud": "someone-else", "azp": "someone-else"}, "issued for"),
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"nbf": int(time.time()) + 3600}, "not valid yet"),
])
def test_wrong_claims_are_refused(claims, reason):
    realm = key("k1")
    with pytest.raises(TokenRejected, match=reason):
        verifier(realm).verify(token(realm, **claims))


def test_a_wrong_signature_a_wrong_nonce_and_garbage_are_refused():
    realm, forger = key("k1"), key("k1")                       # the forger even reuses the key id
    with pytest.raises(TokenRejected, match="signature does not verify"):
        verifier(realm).verify(token(forger))
    with pytest.raises(TokenRejected, match="nonce"):
        verifier(realm).verify(token(realm, nonce="n-1"), nonce="n-2")
    with pytest.raises(TokenRejected, match="not a signed token"):
        verifier(realm).verify("not.a.token")
    unsigned = token(realm).split(".")
    with pytest.raises(TokenRejected):
        verifier(realm).verify(".".join([unsigned[0], unsigned[1], ""]))


def test_keys_are_fetched_again_after_a_rotation_and_unknown_keys_refused():
    old, new = key("old"), key("new")
    fetched: list = []
    published = [old]

    def fetch():
        fetched.append(1)
        return {"keys": [json.loads(k.export_public()) for k in published]}
    checker = TokenVerifier(ISSUER, "cabinet-engine", fetch)
    checker.verify(token(old))
    published[:] = [new]                                           # the realm rotated its key
    assert checker.verify(token(new))["sub"] == "u1" and len(fetched) == 2
    with pytest.raises(TokenRejected, match="does not publish"):
        checker.verify(token(key("stranger")))
