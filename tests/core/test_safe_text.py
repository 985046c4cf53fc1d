"""The one safe-text rule: property tests, and the grep that keeps it the only one."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from services.core.safe_text import UNSAFE, UNSAFE_BEYOND_BMP, safe_bytes, safe_data, safe_json, safe_text

ROOT = Path(__file__).resolve().parents[2]
# Format characters a terminal or a bidi algorithm acts on (Unicode category Cf), and the rest.
_ACTS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def acts_on_terminal(text: str) -> list[str]:
    """Characters the output must not hold: controls but tab, separators, surrogates, and every Cf."""
    return [c for c in text if _ACTS.match(c) or unicodedata.category(c) == "Cf"]


@given(st.text())
def test_no_character_a_terminal_acts_on_survives(text: str) -> None:
    out = safe_text(text)
    assert acts_on_terminal(out) == []


@given(st.text())
def test_safe_text_is_idempotent_and_keeps_safe_text_as_is(text: str) -> None:
    once = safe_text(text)
    assert safe_text(once) == once
    if not UNSAFE.search(text) and not UNSAFE_BEYOND_BMP.search(text):
        assert once is text  # the fast path hands the same object back


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))))
def test_ordinary_text_is_untouched(text: str) -> None:
    assert safe_text(text) == text


@given(st.binary())
def test_any_bytes_become_safe_text_without_raising(data: bytes) -> None:
    out = safe_bytes(data)
    assert acts_on_terminal(out) == []
    out.encode("utf-8")  # no lone surrogate left: printable on a UTF-8 terminal


def test_escapes_are_visible_and_name_the_character() -> None:
    assert safe_text("a\x1b[31mb") == "a\\x1b[31mb"
    assert safe_text("\x9b2J") == "\\x9b2J"
    assert safe_text("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert safe_text("zero\u200bwidth") == "zero\\u200bwidth"
    assert safe_text("one\ntwo\r") == "one\\ntwo\\r"
    assert safe_text("a\tb", tabs=4) == "a   b"
    assert safe_bytes(b"bad \xff\xfe utf-8") == "bad \\xff\\xfe utf-8"
    assert safe_text("tag\U000e0041\U000e007f, emoji \U0001f4e1") == "tag\\U000e0041\\U000e007f, emoji \U0001f4e1"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_safe_json_is_valid_json_whose_strings_are_safe(value: object) -> None:
    text = safe_json(value)
    assert acts_on_terminal(text) == []
    decoded = json.loads(text)
    assert decoded == safe_data(value)

    def strings(v: object) -> list[str]:
        if isinstance(v, str):
            return [v]
        if isinstance(v, dict):
            return [s for k, x in v.items() for s in [k, *strings(x)]]
        if isinstance(v, list):
            return [s for x in v for s in strings(x)]
        return []

    # What a consumer decodes (jq -r) is as safe as what a terminal reader sees.
    assert all(acts_on_terminal(s) == [] for s in strings(decoded))


def test_safe_json_of_ordinary_data_is_plain_json() -> None:
    value = {"device": "eui-1", "rssi": -97, "ok": True, "gateways": ["gw-1"]}
    assert safe_json(value) == json.dumps(value, ensure_ascii=False)


# --- one rule in the project ------------------------------------------------------------------

# What a second copy of the rule looks like: a character class over the C0/C1/bidi ranges, or the
# str methods that were used as one.
_RULE_SHAPES = re.compile(
    r"""re\.compile\([^)]*(\\x00|\\x1f|\\x7f|\\x9f|\\u202|\\u2028|\\u2066|\x00|\x7f|\u202a)"""
    r"""|\.isprintable\(\)|unicode_escape"""
)


def test_exactly_one_definition_of_the_control_character_rule() -> None:
    owners = []
    for package in ("services", "widgets", "tui", "sandbox", "bench", "screenshots"):
        for path in (ROOT / package).rglob("*.py"):
            if _RULE_SHAPES.search(path.read_text()):
                owners.append(str(path.relative_to(ROOT)))
    assert owners == ["services/core/safe_text.py"]


def test_safe_json_turns_values_json_has_no_type_for_into_safe_text() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert json.loads(safe_json({"at": when, "raw": b"\x1b[2J"})) == {"at": str(when), "raw": "\\x1b[2J"}
