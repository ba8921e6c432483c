"""A faithful in-memory simulator of Thulium, HelpCrunch and Bony.chat, for demos and tests.

One standard-library HTTP server plays all three vendors, each under its own base URL:

    http://127.0.0.1:8900/thulium/api      HTTP Basic sandbox / sandbox
    http://127.0.0.1:8900/helpcrunch/v1    Authorization: Bearer sandbox
    http://127.0.0.1:8900/bony/api/v1      Authorization: Bearer sandbox (a Messenger channel)
                                           Authorization: Bearer sandbox-viber (a Viber channel)
    http://127.0.0.1:8900/_sandbox/...     control and introspection (see `control.py`)

Run it with `python -m connectors.sandbox --port 8900` (`--help` lists the flags), or inside a
test with `connectors.sandbox.testing.running_sandbox()`.

What the sandbox decides where the vendors' pages are silent (each vendor module's docstring
lists its own choices):
- The body of a JSON endpoint is parsed as JSON whatever `Content-Type` says, missing or wrong,
  as the PHP-style servers behind these APIs do; a body that is not JSON is that vendor's 400.
  The journal (`GET /_sandbox/requests`) keeps every header, so tests can still assert that a
  client sent the right `Content-Type`. `POST temporary_files` takes its body as raw bytes.
- Faults (`faults.py`) come before authentication, as they would from a load balancer; rate
  limits (`limits.py`) count per credential after it.
- Seeded data is deterministic (`seed.py`); ids made by writes come from a seeded generator too.
- Webhooks (docs/webhooks.md is the wire): Thulium's subscriptions go through its API (`GET` /
  `POST webhooks`, `DELETE webhooks/{id}`, the last assumed); HelpCrunch's and Bony's settings
  pages are control calls. Every change the sandbox makes through a vendor API, and every
  simulated customer or vendor-side change (`/_sandbox/simulate/...`), queues the vendor's
  events for each matching subscription; a background thread POSTs them (5 s timeout), never
  holding the state lock and never holding up the request that caused them.
- A delivery answered outside 2xx, or not answered, is retried after 1, 2, 4, ... s up to 5
  attempts in all (`--delivery-attempts`, `--delivery-backoff`, `--delivery-timeout`, or
  `/_sandbox/deliveries/settings`); redirects are not followed. HelpCrunch's `attempts` counts
  the redeliveries and each attempt is signed anew. Deliveries have faults of their own
  (`delivery_faults.py`: duplicate, out of order, a bad signature or Basic password).
- Which writes raise which events is listed in each vendor module; a vendor with no event for
  a change (HelpCrunch and a customer's name) raises none. Subscriptions are vendor state: a
  reset removes them and drops what is queued.
"""

from connectors.sandbox.core import Sandbox, SandboxOptions

__all__ = ["Sandbox", "SandboxOptions"]
