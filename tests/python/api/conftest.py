"""Registers the API fixtures (tests/python/api/fixtures.py) for the tests in this folder."""

from tests.python.api.fixtures import client, served

__all__ = ["client", "served"]
