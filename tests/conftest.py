from __future__ import annotations

import pytest
from django.test import Client

from backoffice.models import User
from tests.factories import SuperuserFactory, UserFactory

# The vendor sandbox, started once per session on an ephemeral port and reset for each test.
pytest_plugins = ["tests.sandbox_plugin"]


@pytest.fixture
def owner(db: None) -> User:
    """A superuser: sees and may do everything the admin allows anyone."""
    return SuperuserFactory()


@pytest.fixture
def teammate(db: None) -> User:
    """A staff member with no permissions granted yet."""
    return UserFactory(username="teammate")


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client
