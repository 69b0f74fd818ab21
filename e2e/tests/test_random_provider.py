"""The stand-in RandomPassword generator honours the inputs the Pulumi program passes."""

from __future__ import annotations

import string
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pulumi"))

from random_provider import generate


def test_length_and_no_special_characters() -> None:
    password = generate({"length": 32.0, "special": False})
    assert len(password) == 32
    assert set(password) <= set(string.ascii_letters + string.digits)


def test_minimums_are_met_and_passwords_differ() -> None:
    password = generate({"length": 12, "minNumeric": 4, "minSpecial": 2, "overrideSpecial": "_-"})
    assert sum(c.isdigit() for c in password) >= 4
    assert sum(c in "_-" for c in password) >= 2
    assert generate({"length": 32}) != generate({"length": 32})


def test_no_character_class_is_an_error() -> None:
    flags = {"upper": False, "lower": False, "numeric": False, "special": False}
    with pytest.raises(ValueError, match="at least one"):
        generate({"length": 8, **flags})
