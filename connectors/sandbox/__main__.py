"""`python -m connectors.sandbox --port 8900`: serve the three simulated vendors until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from connectors.sandbox.core import Sandbox, SandboxOptions
from connectors.sandbox.delivery import DeliverySettings
from connectors.sandbox.faults import FaultRates
from connectors.sandbox.limits import DEFAULT_LIMITS, DEFAULT_WINDOW
from connectors.sandbox.seed import DEFAULT_CONTACTS, DEFAULT_SEED
from connectors.sandbox.server import create_server


def _probability(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a probability, between 0 and 1")
    return value


def _thulium_user(raw: str) -> tuple[str, str]:
    user, sep, password = raw.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def _bony_token(raw: str) -> tuple[str, str]:
    token, _, kind = raw.partition(":")
    if not token or kind not in ("", "messenger", "viber"):
        raise argparse.ArgumentTypeError("expected TOKEN or TOKEN:viber")
    return token, kind or "messenger"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.sandbox",
        description="In-memory simulator of Thulium, HelpCrunch and Bony.chat. Vendors live under "
        "/thulium/api/, /helpcrunch/v1/ and /bony/api/v1/; control under /_sandbox/.",
    )
    # In this order, which is the order ``--help`` lists them in.
    _add_server_arguments(parser)
    _add_credential_arguments(parser)
    _add_rate_limit_arguments(parser)
    _add_fault_arguments(parser)
    _add_delivery_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no log line per request")
    return parser.parse_args(argv)


def _add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the sandbox listens, and what it generates."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    add("--port", type=int, default=8900, help="port (default 8900; 0 picks a free one)")
    add("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    add("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated data")
    add(
        "--seed-contacts",
        type=int,
        default=DEFAULT_CONTACTS,
        metavar="N",
        help=f"contacts per vendor and channel, as many tickets and chats ({DEFAULT_CONTACTS})",
    )


def _add_credential_arguments(parser: argparse.ArgumentParser) -> None:
    """Credentials each vendor accepts beside the built-in sandbox ones."""
    add = parser.add_argument
    add(
        "--thulium-user",
        type=_thulium_user,
        action="append",
        default=[],
        metavar="USER:PASS",
        help="an extra Thulium API user (sandbox:sandbox always works)",
    )
    add(
        "--helpcrunch-key",
        action="append",
        default=[],
        metavar="KEY",
        help="an extra HelpCrunch API key (sandbox always works)",
    )
    add(
        "--bony-token",
        type=_bony_token,
        action="append",
        default=[],
        metavar="TOKEN[:viber]",
        help="an extra Bony channel (sandbox and sandbox-viber always exist)",
    )


def _add_rate_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Each vendor's own rate limit, per credential and window."""
    add = parser.add_argument
    for vendor, default in DEFAULT_LIMITS.items():
        add(
            f"--{vendor}-rate",
            type=int,
            default=default,
            metavar="N",
            help=f"{vendor} calls per window per credential, 0 = unlimited (default {default})",
        )
    add(
        "--rate-window",
        type=float,
        default=DEFAULT_WINDOW,
        metavar="SECONDS",
        help=f"rate-limit window (default {DEFAULT_WINDOW:g})",
    )


def _add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """The faults rolled for each request: errors, dropped connections, 429s, slow answers."""
    add = parser.add_argument
    add(
        "--error-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="share of requests answered 5xx",
    )
    add(
        "--error-status",
        type=int,
        default=503,
        metavar="STATUS",
        help="status of those (default 503)",
    )
    add(
        "--drop-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="share of connections dropped",
    )
    add(
        "--429-rate",
        dest="rate_limit_rate",
        metavar="P",
        type=_probability,
        default=0.0,
        help="share of requests answered with the vendor's 429",
    )
    add(
        "--retry-after",
        type=int,
        default=1,
        metavar="SECONDS",
        help="Retry-After of those, seconds (default 1)",
    )
    add(
        "--slow-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="share of requests answered late",
    )
    add("--slow-seconds", type=float, default=5.0, metavar="SECONDS", help="how late (default 5)")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def _seconds(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("seconds, from 0 to 3600")
    return value


def _add_delivery_arguments(parser: argparse.ArgumentParser) -> None:
    """How webhook deliveries are retried (subscriptions and delivery faults: the control API)."""
    defaults = DeliverySettings()
    add = parser.add_argument
    add(
        "--delivery-attempts",
        type=_positive_int,
        default=defaults.attempts,
        metavar="N",
        help=f"attempts per webhook delivery, the first included (default {defaults.attempts})",
    )
    add(
        "--delivery-backoff",
        type=_seconds,
        default=defaults.backoff,
        metavar="SECONDS",
        help=f"wait before the first redelivery, then doubled (default {defaults.backoff:g})",
    )
    add(
        "--delivery-timeout",
        type=_seconds,
        default=defaults.timeout,
        metavar="SECONDS",
        help=f"timeout of each delivery attempt (default {defaults.timeout:g})",
    )


def options_from(args: argparse.Namespace) -> SandboxOptions:
    options = SandboxOptions(
        seed=args.seed,
        contacts=args.seed_contacts,
        limits={vendor: getattr(args, f"{vendor}_rate") for vendor in DEFAULT_LIMITS},
        window=args.rate_window,
        rates=FaultRates(
            error=args.error_rate,
            error_status=args.error_status,
            drop=args.drop_rate,
            rate_limit=args.rate_limit_rate,
            retry_after=args.retry_after,
            slow=args.slow_rate,
            slow_seconds=args.slow_seconds,
        ),
        delivery=DeliverySettings(
            attempts=args.delivery_attempts,
            backoff=args.delivery_backoff,
            timeout=max(args.delivery_timeout, 0.1),
        ),
        log=not args.quiet,
    )
    options.thulium_users.update(args.thulium_user)
    options.helpcrunch_keys += tuple(args.helpcrunch_key)
    options.bony_tokens.update(args.bony_token)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = options_from(args)
    try:
        server = create_server(
            Sandbox(options), args.host, args.port, allow_remote=args.allow_remote
        )
    except (ValueError, OSError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    base = server.base_url
    channels = ", ".join(f"{t} ({k})" for t, k in options.bony_tokens.items())
    print(
        f"Sandbox on {base} (seed {options.seed}, {options.contacts} contacts per vendor)\n"
        f"  Thulium     {base}/thulium/api    Basic sandbox:sandbox"
        f"{' + ' + str(len(args.thulium_user)) + ' more' if args.thulium_user else ''}\n"
        f"  HelpCrunch  {base}/helpcrunch/v1  Bearer {', '.join(options.helpcrunch_keys)}\n"
        f"  Bony.chat   {base}/bony/api/v1    Bearer {channels}\n"
        f"  Control     {base}/_sandbox/state",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
