"""Admin registrations, one module per group of models."""

from backoffice.admin import accounts, audit, history, mirror, people, pipeline

__all__ = ["accounts", "audit", "history", "mirror", "people", "pipeline"]
