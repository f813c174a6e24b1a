"""Bearer tokens: who is calling, and which permissions the call carries.

Entra's access tokens for Graph are JWTs (three base64url parts: header, claims, signature).
An app-only token lists its application permissions in the ``roles`` claim; a delegated one
lists the user's consented scopes, space-separated, in ``scp`` (the permission names are the
same strings). The emulator does not verify signatures: :func:`make_token` writes unsigned
tokens (``alg`` "none") and :func:`read_token` reads any JWT-shaped one, whatever its ``alg``.

Three kinds of caller come out of :func:`caller_of`:

* ``application``: a JWT with no ``scp``; its ``roles`` decide the 403s;
* ``delegated``: a JWT with ``scp``; its scopes decide;
* ``development``: any other bearer token (the app's development token, ``test-token``, or
  text that only looks like a JWT): the tenant's ``grantedPermissions`` decide, as they
  always have, and it counts as an application (the managed identity's grants are
  application permissions).

A JWT whose ``aud`` is not Microsoft Graph gets Graph's 401 for a token meant elsewhere.
Expiry is not checked: token lifetimes are wall-clock times, and the emulator's clock is not.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graph_emulator.errors import GraphError

JsonDict = dict[str, Any]

APPLICATION = "application"
DELEGATED = "delegated"
DEVELOPMENT = "development"
GRAPH_AUDIENCES = frozenset(
    {
        "https://graph.microsoft.com",
        "https://graph.microsoft.com/",
        "00000003-0000-0000-c000-000000000000",
    }
)
_FAR_FUTURE = 4102444800  # 2100-01-01: tokens from make_token never look expired to a client


@dataclass(frozen=True)
class Caller:
    """The identity behind a request and the permissions its token carries."""

    kind: str  # APPLICATION, DELEGATED or DEVELOPMENT
    permissions: frozenset[str]
    claims: JsonDict = field(default_factory=dict)

    @property
    def is_application(self) -> bool:
        return self.kind in (APPLICATION, DEVELOPMENT)


def _encode(part: JsonDict) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())


def make_token(claims: JsonDict) -> str:
    """An unsigned JWT (``alg`` none) carrying ``claims``; the signature part is empty."""
    return f"{_encode({'typ': 'JWT', 'alg': 'none'})}.{_encode(claims)}."


def base_claims(tenant_id: str, oid: str, issued_at: int = 1_700_000_000) -> JsonDict:
    """The claims every Entra access token for Graph carries (v1.0 token format)."""
    return {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": issued_at,
        "nbf": issued_at,
        "exp": _FAR_FUTURE,
        "tid": tenant_id,
        "oid": oid,
        "ver": "1.0",
    }


def app_claims(tenant_id: str, roles: Iterable[str], appid: str, oid: str) -> JsonDict:
    return {**base_claims(tenant_id, oid), "appid": appid, "idtyp": "app", "roles": list(roles)}


def delegated_claims(
    tenant_id: str, scopes: Iterable[str], upn: str, oid: str, appid: str
) -> JsonDict:
    return {
        **base_claims(tenant_id, oid),
        "appid": appid,
        "idtyp": "user",
        "upn": upn,
        "unique_name": upn,
        "scp": " ".join(scopes),
    }


def read_token(token: str) -> JsonDict | None:
    """The claims of a JWT-shaped token, or None if it is not one (any other text)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = _decode(parts[0]), _decode(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or "alg" not in header or not isinstance(claims, dict):
        return None
    return claims


def caller_of(token: str, granted: frozenset[str]) -> Caller:
    """Who ``token`` speaks for; ``granted`` are the tenant's grants (development tokens)."""
    claims = read_token(token)
    if claims is None:
        return Caller(DEVELOPMENT, granted)
    audience = claims.get("aud")
    if audience is not None and audience not in GRAPH_AUDIENCES:
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
            {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
        )
    scopes = claims.get("scp")
    if isinstance(scopes, str):
        return Caller(DELEGATED, frozenset(scopes.split()), claims)
    roles = claims.get("roles")
    names = roles if isinstance(roles, list) else []
    return Caller(APPLICATION, frozenset(r for r in names if isinstance(r, str)), claims)
