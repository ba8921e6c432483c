"""Each account's scheduled sync, kept in step with the account: a django-q2 ``Schedule`` that
calls ``backoffice.tasks.account_sync_scheduled`` every ``sync_interval_minutes`` while the
account is active (the sync action then queues it, or skips it while another one runs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_q.models import Schedule

from backoffice.models import VendorAccount

SCHEDULED_TASK = "backoffice.tasks.account_sync_scheduled"


def schedule_name(account_id: int) -> str:
    return f"Sync account {account_id}"


def account_schedule_update(*, account: VendorAccount) -> Schedule | None:
    """The account's sync schedule as its settings say: every ``sync_interval_minutes`` while
    it is active; none otherwise. The first run is due at once."""
    name = schedule_name(account.pk)
    interval = account.sync_interval_minutes
    if not (account.is_active and interval):
        Schedule.objects.filter(name=name).delete()
        return None
    existing = Schedule.objects.filter(name=name).first()
    values: dict[str, Any] = {
        "func": SCHEDULED_TASK,
        "args": repr(account.pk),
        "kwargs": None,
        "schedule_type": Schedule.MINUTES,
        "minutes": interval,
        "repeats": -1,
    }
    if existing is None:
        return Schedule.objects.create(name=name, next_run=timezone.now(), **values)
    if existing.minutes != interval and existing.next_run is not None:
        # A new interval applies from now on, not from a far-off date the old one set.
        soon = timezone.now() + timedelta(minutes=interval)
        values["next_run"] = min(existing.next_run, soon)
    for field, value in values.items():
        setattr(existing, field, value)
    existing.save()
    return existing


def account_schedule_remove(*, account_id: int) -> None:
    Schedule.objects.filter(name=schedule_name(account_id)).delete()


def _account_saved(sender: type[VendorAccount], instance: VendorAccount, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures loading: no schedules
    account_schedule_update(account=instance)


def _account_deleted(sender: type[VendorAccount], instance: VendorAccount, **kwargs: Any) -> None:
    account_schedule_remove(account_id=instance.pk)


def account_schedules_connect() -> None:
    """Keep every account's schedule in step with its saves and its deletion."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_account_saved, sender=VendorAccount, dispatch_uid="account_schedule")
    post_delete.connect(_account_deleted, sender=VendorAccount, dispatch_uid="account_schedule")
