"""The HelpCrunch sandbox's records as the vendor's JSON, and the data of its webhook events.

Kept apart from the routes (`connectors.sandbox.helpcrunch`) because the control API, the
simulated activity and the webhook deliveries show the same records in the same shapes.

Webhook `eventData` (docs/webhooks.md): a message event is `{chat_id, agent, customer, message}`
as the vendor's example; a chat event is the chat with `id`, `customer`, `status`, `assignee`,
`closedBy`, `closedAt`, `createdAt`, `lastMessageAt`, `rating`, `snoozedUntil`,
`communicatedAgents` (agent ids), `department` and `applicationId`; a customer event is the
customer as `GET customers/{id}` returns it.
"""

from __future__ import annotations

from connectors.sandbox.state import (
    HelpCrunchChat,
    HelpCrunchCustomer,
    HelpCrunchData,
    HelpCrunchMessage,
)

APPLICATION_ID = 1


def agent_json(data: HelpCrunchData, agent_id: int | None) -> dict[str, object] | None:
    agent = data.agents.get(agent_id) if agent_id is not None else None
    if agent is None:
        return None
    return {"id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role}


def agent_brief(data: HelpCrunchData, agent_id: int | None) -> dict[str, object] | None:
    agent = data.agents.get(agent_id) if agent_id is not None else None
    if agent is None:
        return None
    return {"id": agent.id, "name": agent.name, "email": agent.email}


def customer_json(c: HelpCrunchCustomer) -> dict[str, object]:
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "userId": c.user_id,
        "company": c.company,
        "phone": c.phone,
        "firstSeen": c.first_seen,
        "lastSeen": c.last_seen,
        "location": {"regionCode": None, "countryCode": c.country_code, "city": c.city},
        "unsubscribed": c.unsubscribed,
        "blocked": c.blocked,
        "locale": c.locale,
        "notes": c.notes,
        "tags": [{"name": t.name, "color": t.color} for t in c.tags],
        "customData": dict(c.custom_data) if c.custom_data is not None else None,
    }


def customer_brief(customer: HelpCrunchCustomer | None) -> dict[str, object] | None:
    if customer is None:
        return None
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "userId": customer.user_id,
    }


def message_json(data: HelpCrunchData, m: HelpCrunchMessage) -> dict[str, object]:
    return {
        "id": m.id,
        "agent": agent_json(data, m.agent_id),
        "type": m.type,
        "text": m.text,
        "read": m.read,
        "createdAt": m.created_at,
        "updatedAt": m.updated_at,
        "edited": m.edited,
        "broadcastType": m.broadcast_type,
        "chat": m.chat_id,
        "from": "customer" if m.agent_id is None else "agent",
    }


def chat_json(data: HelpCrunchData, chat: HelpCrunchChat) -> dict[str, object]:
    public = [m for m in chat.messages if m.type != "private"]
    last = public[-1] if public else None
    return {
        "id": chat.id,
        "closedBy": chat.closed_by,
        "lastCustomerMessageAt": chat.last_customer_message_at,
        "status": chat.status,
        "closedAt": chat.closed_at,
        "rating": chat.rating,
        "createdAt": chat.created_at,
        "lastMessageAt": chat.last_message_at,
        "createdWith": "customer_message",
        "snoozedUntil": None,
        "lastMessageText": last.text if last else None,
        "lastMessageId": last.id if last else None,
        "applicationId": APPLICATION_ID,
        "lastCommunicatedAgentId": next(
            (m.agent_id for m in reversed(public) if m.agent_id is not None), None
        ),
        "agents": [agent_json(data, a) for a in _agent_ids(chat)],
        "customer": customer_brief(data.customers.get(chat.customer_id)),
        "assignee": agent_json(data, chat.assignee_id),
        "department": _department(chat),
    }


def _agent_ids(chat: HelpCrunchChat) -> list[int]:
    return sorted({m.agent_id for m in chat.messages if m.agent_id is not None})


def _department(chat: HelpCrunchChat) -> dict[str, object] | None:
    return {"id": 1, "name": chat.department} if chat.department else None


# --- webhook event data ----------------------------------------------------------------------


def message_event_name(message: HelpCrunchMessage) -> str:
    if message.type == "private":
        return "message.private"
    return "message.chat.customer" if message.agent_id is None else "message.chat.agent"


def message_event_data(
    data: HelpCrunchData, chat: HelpCrunchChat, message: HelpCrunchMessage
) -> dict[str, object]:
    return {
        "chat_id": chat.id,
        "agent": agent_brief(data, message.agent_id),
        "customer": customer_brief(data.customers.get(chat.customer_id)),
        "message": {
            "id": message.id,
            "text": message.text,
            "createdAt": message.created_at,
            "updatedAt": message.updated_at,
            "read": message.read,
            "edited": message.edited,
            "broadcastType": message.broadcast_type,
            "applicationId": APPLICATION_ID,
        },
    }


def chat_event_data(data: HelpCrunchData, chat: HelpCrunchChat) -> dict[str, object]:
    return {
        "id": chat.id,
        "customer": customer_brief(data.customers.get(chat.customer_id)),
        "status": chat.status,
        "assignee": agent_brief(data, chat.assignee_id),
        "closedBy": chat.closed_by,
        "closedAt": chat.closed_at,
        "createdAt": chat.created_at,
        "lastMessageAt": chat.last_message_at,
        "rating": chat.rating,
        "snoozedUntil": None,
        "communicatedAgents": _agent_ids(chat),
        "department": _department(chat),
        "applicationId": APPLICATION_ID,
    }
