"""Vendor accounts and wire fakes come from the root ``tests/conftest.py``."""
