"""Naming: the case-folded identity of a value, the group's key, nickname and display name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core.model import Kind, fold
from shared.core.naming import (
    MAX_DISPLAY_NAME,
    MAX_NICKNAME,
    display_name,
    is_managed_key,
    mail_nickname,
    unique_name,
)

VALUE_KINDS = [Kind.TAG, Kind.PURCHASE_ORDER]
NICKNAME_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
KEY_CHARS = re.compile(r"^apg-[a-z0-9-]+$")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Sales", "SALES", id="Sales SALES"),
        pytest.param("sales-ud", "SALES-UD", id="lower upper"),
        pytest.param("äöü", "ÄÖÜ", id="umlauts"),
        pytest.param("σ", "Σ", id="greek"),
        pytest.param("", "", id="empty"),
    ],
)
def test_case_variants_fold_alike(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Straße", "STRASSE", id="sharp s is not SS"),
        pytest.param("ﬁle", "FILE", id="ligature is not its letters"),
        pytest.param("Sales", "Sales ", id="trailing space"),
        pytest.param("Sales-UD", "Sales_UD", id="hyphen is not underscore"),
    ],
)
def test_values_that_only_a_full_case_fold_would_merge_stay_apart(a: str, b: str) -> None:
    assert fold(a) != fold(b)


@pytest.mark.parametrize("kind", VALUE_KINDS)
def test_the_key_is_the_same_every_time_and_for_every_case_variant(kind: Kind) -> None:
    key = unique_name(kind, "Sales-UD")
    assert unique_name(kind, "Sales-UD") == key
    assert unique_name(kind, "SALES-UD") == key
    assert unique_name(kind, "sales-ud") == key


def test_the_key_differs_across_kinds_and_values() -> None:
    keys = {
        unique_name(Kind.TAG, "123"),
        unique_name(Kind.PURCHASE_ORDER, "123"),
        unique_name(Kind.TAG, "124"),
        unique_name(Kind.TAG, "Straße"),
        unique_name(Kind.TAG, "STRASSE"),
        unique_name(Kind.TAG, "a b"),
        unique_name(Kind.TAG, "a-b"),
        unique_name(Kind.TAG, "a_b"),
        unique_name(Kind.ALL_DEVICES),
    }
    assert len(keys) == 9


def test_the_all_devices_key_is_fixed() -> None:
    assert unique_name(Kind.ALL_DEVICES) == "apg-all-autopilot-devices"
    assert unique_name(Kind.ALL_DEVICES, "anything") == "apg-all-autopilot-devices"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("SALES-UD", id="plain"),
        pytest.param("Straße 日本 🚀", id="unicode"),
        pytest.param("--__..--", id="punctuation only"),
        pytest.param('say "hi" (now)', id="quotes and parentheses"),
        pytest.param("İstanbul", id="dotted capital I"),
        pytest.param("x" * 3000, id="very long"),
    ],
)
@pytest.mark.parametrize("kind", VALUE_KINDS)
def test_the_key_has_only_lowercase_letters_digits_and_hyphens_after_apg(
    kind: Kind, value: str
) -> None:
    key = unique_name(kind, value)
    assert KEY_CHARS.match(key), key
    assert is_managed_key(key)


@pytest.mark.parametrize(
    ("name", "managed"),
    [
        pytest.param("apg-tag-sales-0123", True, id="managed"),
        pytest.param("other-key", False, id="another key"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="none"),
    ],
)
def test_only_keys_with_the_prefix_are_managed(name: str | None, managed: bool) -> None:
    assert is_managed_key(name) is managed


# --- mail nickname --------------------------------------------------------------------------


@given(value=st.text(), kind=st.sampled_from(VALUE_KINDS))
def test_a_nickname_is_at_most_64_ascii_letters_digits_hyphens_and_underscores(
    kind: Kind, value: str
) -> None:
    nickname = mail_nickname(kind, value)
    assert len(nickname) <= MAX_NICKNAME
    assert NICKNAME_CHARS.match(nickname), nickname


@pytest.mark.parametrize(
    ("kind", "value", "nickname"),
    [
        pytest.param(Kind.TAG, "SALES-UD", "apg-tag-sales-ud", id="tag kept readable"),
        pytest.param(Kind.TAG, "a_b", "apg-tag-a_b", id="underscore kept"),
        pytest.param(Kind.PURCHASE_ORDER, "123", "apg-po-123", id="purchase order"),
        pytest.param(Kind.ALL_DEVICES, "", "apg-all-autopilot-devices", id="all devices"),
    ],
)
def test_a_value_that_fits_as_it_is_gives_a_readable_nickname(
    kind: Kind, value: str, nickname: str
) -> None:
    assert mail_nickname(kind, value) == nickname


@pytest.mark.parametrize("kind", VALUE_KINDS)
def test_the_nickname_is_the_same_for_every_case_variant(kind: Kind) -> None:
    assert mail_nickname(kind, "Sales UD") == mail_nickname(kind, "SALES ud")
    assert mail_nickname(kind, "x" * 100) == mail_nickname(kind, "X" * 100)


def test_two_long_values_sharing_a_64_character_prefix_get_different_nicknames() -> None:
    shared = "a" * 64
    first, second = mail_nickname(Kind.TAG, shared + "1"), mail_nickname(Kind.TAG, shared + "2")
    assert first != second
    assert len(first) <= MAX_NICKNAME
    assert len(second) <= MAX_NICKNAME


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(("a b", "a-b", "a_b", "a.b", "a@b"), id="separators"),
        pytest.param(("-ab", "ab", "ab-"), id="hyphens stripped at the ends"),
        pytest.param(("Straße", "Strae", "STRASSE"), id="non-ASCII dropped"),
        pytest.param(("日本", "中国", "🚀"), id="nothing ASCII left"),
    ],
)
def test_values_that_clean_up_alike_get_different_nicknames(values: tuple[str, ...]) -> None:
    nicknames = [mail_nickname(Kind.TAG, value) for value in values]
    assert len(set(nicknames)) == len(values), nicknames


def test_values_that_only_lower_case_alike_get_different_nicknames() -> None:
    assert fold("\u212a") != fold("k")  # two different tags, two different groups
    assert unique_name(Kind.TAG, "\u212a") != unique_name(Kind.TAG, "k")
    assert mail_nickname(Kind.TAG, "\u212a") != mail_nickname(Kind.TAG, "k")


def test_the_nickname_differs_across_kinds() -> None:
    assert mail_nickname(Kind.TAG, "123") != mail_nickname(Kind.PURCHASE_ORDER, "123")


# --- display name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "name"),
    [
        pytest.param("Autopilot - {value}", "Autopilot - SALES-UD", id="value"),
        pytest.param("{label}: {value}", "User-driven: SALES-UD", id="label and value"),
        pytest.param("{value}/{value}", "SALES-UD/SALES-UD", id="value twice"),
        pytest.param("{other} {value}", "{other} SALES-UD", id="unknown braces left alone"),
        pytest.param("{{value}}", "{SALES-UD}", id="doubled braces are not an escape"),
    ],
)
def test_a_template_renders_its_placeholders(template: str, name: str) -> None:
    assert display_name(template, "SALES-UD", "User-driven") == name


def test_a_value_holding_a_placeholder_is_not_expanded_again() -> None:
    assert display_name("{label} - {value}", "{label}", "User-driven") == "User-driven - {label}"
    assert display_name("{value}", "{value}", "x") == "{value}"


def test_a_long_name_is_cut_to_256_characters() -> None:
    name = display_name("Autopilot - {value}", "x" * 600, "label")
    assert len(name) == MAX_DISPLAY_NAME
    assert name.startswith("Autopilot - xxx")
    assert name.endswith("…")


def test_a_name_of_exactly_256_characters_is_kept_whole() -> None:
    value = "x" * (MAX_DISPLAY_NAME - len("A - "))
    assert display_name("A - {value}", value, "l") == "A - " + value
