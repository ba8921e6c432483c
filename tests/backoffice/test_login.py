"""Logging in to the admin: throttled failures, strong passwords, sessions that end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff() -> User:
    return UserFactory(username="jan.kowalski")


def log_in(client: Client, password: str, username: str = "jan.kowalski") -> object:
    return client.post(LOGIN, {"username": username, "password": password, "next": INDEX})


def logged_in(client: Client) -> bool:
    return client.get(INDEX).status_code == 200


def test_it_logs_in_with_the_right_password_through_the_login_page(staff: User) -> None:
    client = Client()
    response = log_in(client, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert logged_in(client)


def test_it_locks_a_login_out_after_five_wrong_passwords_even_with_the_right_one(
    staff: User,
) -> None:
    client = Client()
    for _ in range(4):
        response = log_in(client, "wrong password")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()

    fifth = log_in(client, "wrong password")
    assert fifth.status_code == 429

    sixth = log_in(client, PASSWORD)

    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert "Too many failed logins" in page
    assert "The password for “jan.kowalski” was wrong 5 times in a row from this address." in page
    assert "refused for 15 minutes, even with the right" in page
    assert not logged_in(client)


def test_it_lets_the_login_in_again_after_the_cool_off(staff: User) -> None:
    client = Client()
    for _ in range(5):
        log_in(client, "wrong password")
    assert log_in(client, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_it_takes_the_right_password_before_the_limit_and_starts_counting_again(
    staff: User,
) -> None:
    client = Client()
    for _ in range(4):
        log_in(client, "wrong password")

    assert log_in(client, PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        assert log_in(client, "wrong password").status_code == 200
    assert log_in(client, PASSWORD).status_code == 302


def test_it_locks_out_only_that_user_name_from_that_address(staff: User) -> None:
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        log_in(guesser, "wrong password")
    assert log_in(guesser, PASSWORD).status_code == 429

    colleague = UserFactory(username="anna.nowak")
    assert log_in(guesser, PASSWORD, username=colleague.username).status_code == 302
    assert log_in(Client(REMOTE_ADDR="198.51.100.2"), PASSWORD).status_code == 302


def test_it_refuses_weak_passwords() -> None:
    user = User(username="jan.kowalski", email="jan.kowalski@example.org")
    for weak, why in [
        ("Kx9#mQ2!vb", "at least 12 characters"),
        ("password1234", "too common"),
        ("830172649517", "entirely numeric"),
        ("jan.kowalski1", "too similar to the username"),
    ]:
        with pytest.raises(ValidationError) as raised:
            validate_password(weak, user)
        assert why in " ".join(raised.value.messages), weak
    validate_password("a long and unusual passphrase", user)


def test_it_refuses_a_weak_password_in_the_admins_user_form(owner_client: Client) -> None:
    response = owner_client.post(
        reverse("admin:backoffice_user_add"),
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "password1234",
            "password2": "password1234",
        },
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


def test_it_ends_the_session_after_its_lifetime(staff: User, settings) -> None:
    client = Client()
    response = log_in(client, PASSWORD)
    assert logged_in(client)

    session = Session.objects.get()
    lifetime = session.expire_date - timezone.now()
    assert timedelta(hours=8) - timedelta(minutes=1) < lifetime <= timedelta(hours=8)
    # The cookie itself ends with the browser.
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"]
    assert not cookie["expires"]
    assert cookie["httponly"]

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    page = client.get(INDEX)
    assert page.status_code == 302
    assert page["Location"].startswith(LOGIN)


def test_it_does_not_stretch_the_session_with_each_request(staff: User) -> None:
    client = Client()
    log_in(client, PASSWORD)
    ends = timezone.now() + timedelta(minutes=5)
    Session.objects.update(expire_date=ends)

    assert logged_in(client)

    assert Session.objects.get().expire_date == ends
