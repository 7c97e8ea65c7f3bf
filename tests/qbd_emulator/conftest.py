"""Fixtures: an emulator in the tests' process with a fresh demo company per test."""

from __future__ import annotations

import pytest

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def company(emulator: Emulator) -> Company:
    return emulator.create_company("Summit Ridge Builders", preset="demo")
