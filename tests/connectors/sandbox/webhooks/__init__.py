"""The sandbox's webhooks over loopback: subscriptions, deliveries, retries, faults, simulations."""
