"""Test data factories, in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import factory
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from backoffice.models import (
    AgentIdentity,
    ApiCall,
    BonyChannelKind,
    ChatConversation,
    ChatMessage,
    Contact,
    Operation,
    Person,
    RateBucket,
    StoredFile,
    SyncCursor,
    Tag,
    Ticket,
    TicketMessage,
    User,
    VendorAccount,
)
from backoffice.vendors import Vendor


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


def role_user(
    role: str, *, accounts: Iterable[VendorAccount] | None = None, **fields: object
) -> User:
    """A staff member in one role group (backoffice/roles.py), limited to ``accounts`` when
    given; ``fields`` go to the user (a username, say)."""
    user: User = UserFactory(**fields)
    user.groups.add(Group.objects.get(name=role))
    if accounts is not None:
        user.limited_to_accounts = True
        user.save(update_fields=["limited_to_accounts"])
        user.vendor_accounts.set(accounts)
    return user


class SuperuserFactory(UserFactory):
    username = "owner"
    is_superuser = True


class HelpCrunchAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAccount

    vendor = Vendor.HELPCRUNCH
    name = factory.Sequence(lambda n: f"HelpCrunch {n}")
    base_url = "https://api.helpcrunch.com/v1"
    api_secret = "hc-api-key-0123456789"


class ThuliumAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAccount

    vendor = Vendor.THULIUM
    name = factory.Sequence(lambda n: f"Thulium {n}")
    base_url = "https://acme.thulium.com/api"
    api_login = "api_user"
    api_secret = "thulium-api-pass"


class BonyAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAccount

    vendor = Vendor.BONY
    name = factory.Sequence(lambda n: f"Bony {n}")
    base_url = "https://app.bony.chat/api/v1"
    api_secret = "bony-channel-token"
    channel_kind = BonyChannelKind.MESSENGER


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    account = factory.SubFactory(BonyAccountFactory)
    name = factory.Sequence(lambda n: f"tag-{n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Anna Nowak {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(BonyAccountFactory)
    vendor_id = factory.Sequence(lambda n: str(1776025372480000 + n))
    first_name = "Zofia"
    last_name = factory.Sequence(lambda n: f"Wiśniewska-{n}")
    email = factory.Sequence(lambda n: f"zofia{n}@example.pl")
    phone = "+48600100200"


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    account = factory.SubFactory(ThuliumAccountFactory)
    vendor_id = factory.Sequence(lambda n: str(1000 + n))
    subject = "Reklamacja zamówienia"
    status = "1"


class TicketMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    vendor_id = factory.Sequence(lambda n: str(5000 + n))
    kind = TicketMessage.Kind.MAIL
    body = "<p>Dzień dobry, paczka nie dotarła.</p>"
    author = "klient@example.pl"


class ChatConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatConversation

    account = factory.SubFactory(HelpCrunchAccountFactory)
    vendor_id = factory.Sequence(lambda n: str(5215261 + n))
    status = ChatConversation.Status.OPEN


class ChatMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatMessage

    conversation = factory.SubFactory(ChatConversationFactory)
    vendor_id = factory.Sequence(lambda n: str(542335 + n))
    sender = ChatMessage.Sender.CONTACT
    text = "Добрий день!"


class AgentIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentIdentity

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(ThuliumAccountFactory)
    login = factory.Sequence(lambda n: f"agent.{n}")


class OperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operation
        skip_postgeneration_save = True

    action = Operation.Action.ADD_TAGS
    account = factory.SubFactory(BonyAccountFactory)
    actor = factory.SubFactory(UserFactory)
    params = factory.LazyFunction(lambda: {"tags": [{"name": "vip"}]})

    @factory.post_generation
    def target_contact(self, create: bool, extracted: Contact | None, **kwargs: object) -> None:
        if extracted is not None:
            self.target_type = ContentType.objects.get_for_model(Contact)
            self.target_id = extracted.pk
            self.target_label = str(extracted)
            if create:
                self.save()


class ApiCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiCall

    operation = factory.SubFactory(OperationFactory)
    account = factory.SelfAttribute("operation.account")
    method = "POST"
    url = "https://app.bony.chat/api/v1/contact/1/tags"
    request_headers = factory.LazyFunction(lambda: {"Authorization": "[redacted]"})
    request_body = '{"tags":["vip"]}'
    status_code = 200
    response_body = '{"status":"success","message":"Contact Tags have been added successfully."}'
    duration_ms = 120
    state = ApiCall.State.DONE


class StoredFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoredFile

    filename = "faktura.pdf"
    content_type = "application/pdf"
    content = b"%PDF-1.4 sample"
    size = factory.LazyAttribute(lambda f: len(f.content))
    sha256 = factory.LazyAttribute(lambda f: hashlib.sha256(f.content).hexdigest())


class RateBucketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateBucket

    account = factory.SubFactory(HelpCrunchAccountFactory)
    tokens = 10.0
    refilled_at = factory.LazyFunction(timezone.now)


class SyncCursorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncCursor

    account = factory.SubFactory(HelpCrunchAccountFactory)
    resource = SyncCursor.Resource.CUSTOMERS
    since = factory.LazyFunction(timezone.now)
    last_pass_at = factory.LazyFunction(timezone.now)
