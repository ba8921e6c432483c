"""The Thulium sandbox's records as the vendor's JSON, and the vendor's local times.

Kept apart from the routes (`connectors.sandbox.thulium`) because the control API shows the same
records in the same shapes. Times are `YYYY-MM-DD HH:MM:SS` in Europe/Warsaw, as the module
docstring of `connectors.sandbox.thulium` describes with the rest of the wire format.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from connectors.sandbox.state import (
    ChatConversation,
    ThuliumCustomer,
    ThuliumMessage,
    ThuliumTicket,
)
from connectors.sandbox.wire import Problem

__all__ = [
    "WARSAW",
    "conversation_event",
    "customer_event",
    "local_time",
    "parse_local",
    "serialize_conversation",
    "serialize_customer",
    "serialize_message",
    "serialize_ticket",
    "ticket_event",
]

WARSAW = ZoneInfo("Europe/Warsaw")


def local_time(moment: datetime) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S")


_READABLE = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS"}


def parse_local(raw: str, formats: tuple[str, ...], field: str) -> datetime:
    """A Thulium local time (Europe/Warsaw) in one of `formats`, or a 400 naming them."""
    for fmt in formats:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=WARSAW)
        except ValueError:
            continue
    readable = []
    for fmt in formats:
        for directive, text in _READABLE.items():
            fmt = fmt.replace(directive, text)
        readable.append(fmt)
    raise Problem(400, f"Invalid date '{raw}', expected {' or '.join(readable)}.", code=field)


def serialize_customer(customer: ThuliumCustomer) -> dict[str, object]:
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "surname": customer.surname,
        "email": customer.email,
        "phone_number": customer.phone_number,
        "company_name": customer.company_name,
        "client_id": customer.client_id,
        "custom_fields": dict(customer.custom_fields),
        "tags": list(customer.tags),
        "created_at": local_time(customer.created_at),
        "updated_at": local_time(customer.updated_at),
    }


def serialize_message(message: ThuliumMessage) -> dict[str, object]:
    return {
        "message_id": message.message_id,
        "type": message.type,
        "body": message.body,
        "body_type": message.body_type,
        "user_login": message.user_login,
        "from_email": message.from_email,
        "date": local_time(message.date),
        "attachments": [
            {"filename": a.filename, "token": a.token, "size": a.size} for a in message.attachments
        ],
    }


def serialize_ticket(ticket: ThuliumTicket, *, messages: bool) -> dict[str, object]:
    payload: dict[str, object] = {
        "ticket_id": ticket.ticket_id,
        "subject": ticket.subject,
        "status_id": str(ticket.status_id),
        "queue_id": ticket.queue_id,
        "customer_id": ticket.customer_id,
        "customer_email": ticket.customer_email,
        "created_at": local_time(ticket.created_at),
        "updated_at": local_time(ticket.updated_at),
    }
    if messages:
        payload["messages"] = [serialize_message(m) for m in ticket.messages]
    return payload


def serialize_conversation(conversation: ChatConversation) -> dict[str, object]:
    return {
        "conversation_id": conversation.conversation_id,
        "chat_queue_id": conversation.chat_queue_id,
        "customer_id": conversation.customer_id,
        "client_id": conversation.client_id,
        "client_name": conversation.client_name,
        "client_surname": conversation.client_surname,
        "client_email": conversation.client_email,
        "user_login": conversation.user_login,
        "created_at": local_time(conversation.created_at),
        "closed_at": local_time(conversation.closed_at) if conversation.closed_at else None,
    }


# --- webhook payloads (docs/webhooks.md; `action` and `date` are added by the outbox) ---------


def conversation_event(conversation: ChatConversation) -> dict[str, object]:
    return {
        "conversation_id": conversation.conversation_id,
        "chat_queue_id": conversation.chat_queue_id,
        "customer_id": conversation.customer_id,
        "client_email": conversation.client_email,
        "client_name": conversation.client_name,
        "client_surname": conversation.client_surname,
        "user_login": conversation.user_login,
    }


def customer_event(customer: ThuliumCustomer) -> dict[str, object]:
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "surname": customer.surname,
        "email": customer.email,
        "phone_number": customer.phone_number,
        "company_name": customer.company_name,
        "tags": list(customer.tags),
        "custom_fields": dict(customer.custom_fields),
    }


def ticket_event(ticket: ThuliumTicket) -> dict[str, object]:
    return {
        "ticket_id": ticket.ticket_id,
        "subject": ticket.subject,
        "status_id": str(ticket.status_id),
        "ticket_queue_id": ticket.queue_id,
        "customer_id": ticket.customer_id,
        "from": ticket.customer_email,
        "updated_at": ticket.updated_at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M"),
    }
