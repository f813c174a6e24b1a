"""Scenario requests (version 1): reading and validating one message.

``schemas/request-v1.schema.json`` is what integrators read; this module enforces the same
contract with messages that name the field, without a schema library in the function's cold
start. A test checks the two agree on generated documents. Answering is ``core.answers``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from shared.core.errors import AppError
from shared.core.model import Kind

REQUEST_FIELDS = {"version", "requestId", "scenario", "groupTag", "purchaseOrderId", "requestedBy"}
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_SCENARIO = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_VALUE = 1024
MAX_REQUESTED_BY = 256


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str


@dataclass(frozen=True)
class ScenarioRequest:
    request_id: str
    scenario: str
    kind: Kind
    value: str
    requested_by: str | None


class InvalidRequest(AppError):
    """The message is not a valid version 1 request; retrying cannot change that."""

    def __init__(self, errors: list[FieldError], request_id: str | None = None) -> None:
        super().__init__("; ".join(f"{e.field or 'message'}: {e.message}" for e in errors))
        self.errors = errors
        self.request_id = request_id


def parse_request(body: bytes) -> ScenarioRequest:
    """Decode and validate a request body, or raise ``InvalidRequest`` listing every problem.

    Producers send either encoding: the Python and .NET SDKs, Event Grid and SQL send plain text
    by default, others base64 (host.json says ``messageEncoding: none``, so the host hands over
    the text as it is). Text whose first non-blank character is ``{``, or that is JSON at all,
    is read as JSON; anything else is tried as base64 of JSON.
    """
    text = _utf8(body, "the message")
    stripped = text.lstrip()
    if not stripped.startswith("{") and not _is_json(stripped):
        decoded = _base64(stripped)
        if decoded is None:
            problem = "the message is neither JSON nor base64-encoded JSON"
            raise InvalidRequest([FieldError(None, problem)])
        return _validate(_json_object(_utf8(decoded, "the decoded message"), "the decoded message"))
    return _validate(_json_object(text, "the message"))


def _utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = f"{what} is not UTF-8 ({error.reason})"
        raise InvalidRequest([FieldError(None, problem)]) from None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _base64(text: str) -> bytes | None:
    """The bytes of a base64 text (white space ignored, as .NET's decoder does), or None."""
    compact = "".join(text.split())
    if not compact:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        problem = f"{what} is not JSON: {error.msg} at line {error.lineno}"
        raise InvalidRequest([FieldError(None, problem)]) from None
    except RecursionError:
        problem = f"{what} is JSON nested too deeply"
        raise InvalidRequest([FieldError(None, problem)]) from None
    if not isinstance(document, dict):
        raise InvalidRequest([FieldError(None, f"{what} must be a JSON object")])
    return document


def _validate(document: dict[str, Any]) -> ScenarioRequest:
    errors: list[FieldError] = []
    request_id = document.get("requestId")
    valid_id = (
        request_id if isinstance(request_id, str) and _REQUEST_ID.fullmatch(request_id) else None
    )

    for name in sorted(set(document) - REQUEST_FIELDS):
        errors.append(FieldError(_printable(name), "unknown field"))
    if "version" in document and (
        document["version"] != 1 or isinstance(document["version"], bool)
    ):
        errors.append(FieldError("version", "must be 1"))
    if request_id is None:
        errors.append(FieldError("requestId", "is required"))
    elif valid_id is None:
        errors.append(FieldError("requestId", "must be 1-128 letters, digits and . _ : -"))
    scenario = document.get("scenario")
    if scenario is None:
        errors.append(FieldError("scenario", "is required"))
    elif not isinstance(scenario, str) or not _SCENARIO.fullmatch(scenario):
        errors.append(
            FieldError("scenario", "must be a scenario key (lowercase letters, digits and -)")
        )
    present = [name for name in ("groupTag", "purchaseOrderId") if name in document]
    if len(present) > 1:
        errors.append(
            FieldError(
                "groupTag",
                "at most one of groupTag and purchaseOrderId (neither asks for a device "
                "preparation scenario's group)",
            )
        )
    for name in present:
        errors.extend(_value_errors(name, document[name]))
    requested_by = document.get("requestedBy")
    if requested_by is not None and (
        not isinstance(requested_by, str)
        or len(requested_by) > MAX_REQUESTED_BY
        or _has_control(requested_by)
    ):
        errors.append(
            FieldError(
                "requestedBy",
                f"must be text of at most {MAX_REQUESTED_BY} characters without control characters",
            )
        )
    if errors:
        raise InvalidRequest(errors, valid_id)
    if not present:  # the scenario's one device preparation group: its value is the key
        return ScenarioRequest(
            str(request_id), str(scenario), Kind.DEVICE_PREPARATION, str(scenario), requested_by
        )
    kind = Kind.TAG if present[0] == "groupTag" else Kind.PURCHASE_ORDER
    return ScenarioRequest(str(request_id), str(scenario), kind, document[present[0]], requested_by)


def _value_errors(name: str, value: Any) -> list[FieldError]:
    if not isinstance(value, str):
        return [FieldError(name, "must be a string")]
    if not value:
        return [FieldError(name, "must not be empty")]
    if len(value) > MAX_VALUE:
        return [FieldError(name, f"must be at most {MAX_VALUE} characters")]
    if value != value.strip():
        return [FieldError(name, "must not start or end with white space")]
    return []


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def _printable(text: str) -> str:
    cleaned = "".join(c if c.isprintable() else "?" for c in text)
    return cleaned if len(cleaned) <= 64 else cleaned[:63] + "…"
