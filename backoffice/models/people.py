"""One person across vendors: the contacts of different accounts that are the same human being.

Contacts are linked to a ``Person`` automatically by their match keys (``Contact.email_normalised``
and ``Contact.phone_e164``, see ``backoffice.people.linking``); staff merge persons and split
contacts off when the automatic link is wrong (``backoffice.people.corrections``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    name = models.CharField(
        _("name"),
        max_length=301,
        blank=True,
        help_text=_("Taken from the first named contact when the person is created."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        ordering = ["-id"]
        permissions = [
            ("manage_persons", _("Can merge persons and split contacts from a person")),
        ]
        indexes = [models.Index(fields=["name"], name="person_name")]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"
