"""Thulium's webhook subscriptions, under its API: `GET webhooks`, `POST webhooks` and
`DELETE webhooks/{id}` (the last assumed: the vendor's pages show the first two).

- `GET webhooks` answers a bare array of `{id, actions, subscription_url, http_auth_user,
  http_auth_password}`, as the vendor's page shows it (the password included).
- `POST webhooks` takes `{"actions": [...], "subscription_url": "...", "http_auth_user"?,
  "http_auth_password"?}` and answers the created element with its `id` (ids count from 1).
  `actions` must be a non-empty list of known actions (`outbox.THULIUM_ACTIONS`), the URL an
  absolute http(s) one; other keys are refused. Errors are Thulium's 400 naming the field.
- `DELETE webhooks/{id}` answers 200 with an empty body, or Thulium's 404.
"""

from __future__ import annotations

from connectors.sandbox.outbox import THULIUM_ACTIONS, check_url
from connectors.sandbox.state import SandboxState, ThuliumWebhook
from connectors.sandbox.wire import NOT_FOUND, Problem, Request, Response, json_response, route

KEYS = {"actions", "subscription_url", "http_auth_user", "http_auth_password"}


def webhook_json(hook: ThuliumWebhook) -> dict[str, object]:
    return {
        "id": hook.id,
        "actions": list(hook.actions),
        "subscription_url": hook.subscription_url,
        "http_auth_user": hook.http_auth_user,
        "http_auth_password": hook.http_auth_password,
    }


class ThuliumWebhooks:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.routes = [
            route("GET", "webhooks", self.list_webhooks),
            route("POST", "webhooks", self.create_webhook),
            route("DELETE", "webhooks/*", self.delete_webhook),
        ]

    def list_webhooks(self, _: Request, __: tuple[str, ...]) -> Response:
        return json_response([webhook_json(h) for h in self.state.thulium.webhooks.values()])

    def create_webhook(self, request: Request, _: tuple[str, ...]) -> Response:
        payload = request.json_object()
        unknown = sorted(set(payload) - KEYS)
        if unknown:
            raise Problem(400, "This field was not expected.", code=unknown[0])
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            raise Problem(400, "This value should not be blank.", code="actions")
        for action in actions:
            if action not in THULIUM_ACTIONS:
                allowed = ", ".join(THULIUM_ACTIONS)
                raise Problem(400, f"Invalid value '{action}', allowed: {allowed}.", code="actions")
        try:
            url = check_url(payload.get("subscription_url"), "subscription_url")
        except ValueError as exc:
            raise Problem(400, "This value is not a valid URL.", code="subscription_url") from exc
        credentials = [payload.get(k, "") for k in ("http_auth_user", "http_auth_password")]
        for name, value in zip(("http_auth_user", "http_auth_password"), credentials, strict=True):
            if not isinstance(value, str):
                raise Problem(400, "This value should be of type string.", code=name)
        data = self.state.thulium
        hook = ThuliumWebhook(
            id=data.next_webhook_id,
            actions=list(dict.fromkeys(str(a) for a in actions)),
            subscription_url=url,
            http_auth_user=str(credentials[0]),
            http_auth_password=str(credentials[1]),
        )
        data.webhooks[hook.id] = hook
        data.next_webhook_id += 1
        return json_response(webhook_json(hook))

    def delete_webhook(self, _: Request, ids: tuple[str, ...]) -> Response:
        webhooks = self.state.thulium.webhooks
        hook_id = int(ids[0]) if ids[0].isdigit() else None
        if hook_id is None or hook_id not in webhooks:
            raise Problem(404, f"Webhook {ids[0]} not found.", code=NOT_FOUND)
        del webhooks[hook_id]
        return Response(200)
