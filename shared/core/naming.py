"""How a managed group is named and keyed.

The identity of a managed group is its ``uniqueName``, an alternate key Graph enforces, derived
only from the kind and the case-folded value. Every run, every overlapping run and every queue
request for a tag therefore computes the same key, and the upsert on that key cannot make a second
group, however the requests race or are replayed.
"""

from __future__ import annotations

import hashlib
import re

from shared.core.model import Kind, fold

KEY_PREFIX = "apg-"
NICKNAME_PREFIX = "apg-"
MAX_DISPLAY_NAME = 256
MAX_NICKNAME = 64

_KIND_CODES = {
    Kind.TAG: "tag",
    Kind.PURCHASE_ORDER: "po",
    Kind.ALL_DEVICES: "all",
    Kind.DEVICE_PREPARATION: "dp",
}
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_NICKNAME_DROP = re.compile(r"[^A-Za-z0-9_-]+")
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")  # written as is (lower-cased), no digest needed
_PLACEHOLDER = re.compile(r"\{(value|label)\}")
PLACEHOLDERS = ("value", "label")


def _digest(kind: Kind, value: str, length: int) -> str:
    material = f"{_KIND_CODES[kind]}\x1f{fold(value)}".encode()
    return hashlib.sha256(material).hexdigest()[:length]


def _slug(value: str, limit: int) -> str:
    return _SLUG_DROP.sub("-", fold(value).lower()).strip("-")[:limit].strip("-")


def unique_name(kind: Kind, value: str = "") -> str:
    """The deterministic alternate key of the group for (kind, case-folded value)."""
    if kind is Kind.ALL_DEVICES:
        return f"{KEY_PREFIX}all-autopilot-devices"
    slug = _slug(value, 32)
    readable = f"{slug}-" if slug else ""
    return f"{KEY_PREFIX}{_KIND_CODES[kind]}-{readable}{_digest(kind, value, 16)}"


def is_managed_key(name: str | None) -> bool:
    return bool(name) and str(name).startswith(KEY_PREFIX)


def kind_of_key(name: str) -> Kind | None:
    """The kind a managed key was made for, read from its prefix."""
    for kind, code in _KIND_CODES.items():
        if name.startswith(f"{KEY_PREFIX}{code}-"):
            return kind
    return None


def mail_nickname(kind: Kind, value: str = "") -> str:
    """A mailNickname of ASCII letters, digits, ``-`` and ``_``, at most 64 characters.

    Derived from the folded value, so every run writes the same one. When the value had to be
    changed to fit (characters dropped or the name cut short) a digest is appended, so two values
    that clean up alike still get different nicknames.
    """
    if kind is Kind.ALL_DEVICES:
        return f"{NICKNAME_PREFIX}all-autopilot-devices"
    head = f"{NICKNAME_PREFIX}{_KIND_CODES[kind]}-"
    lowered = fold(value).lower()
    cleaned = _NICKNAME_DROP.sub("-", lowered).strip("-")
    if _PLAIN.fullmatch(value) and cleaned == lowered and len(head + cleaned) <= MAX_NICKNAME:
        return head + cleaned
    digest = _digest(kind, value, 10)
    room = MAX_NICKNAME - len(head) - len(digest) - 1
    kept = cleaned[:room].strip("-")
    return f"{head}{kept}-{digest}" if kept else f"{head}{digest}"


def display_name(template: str, value: str, label: str) -> str:
    """Render a naming template (placeholders ``{value}`` and ``{label}``), cut to 256."""
    fields = {"value": value, "label": label}
    name = _PLACEHOLDER.sub(lambda match: fields[match.group(1)], template)
    if len(name) > MAX_DISPLAY_NAME:
        name = name[: MAX_DISPLAY_NAME - 1] + "…"
    return name
