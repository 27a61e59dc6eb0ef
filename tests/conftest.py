"""Shared fixtures: the embedded data set is loaded once per test session."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

from dlbook.data import load_mnist


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()
