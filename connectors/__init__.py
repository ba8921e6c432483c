"""Framework-free clients for the vendors Switchboard talks to.

Nothing in this package imports Django: the clients take plain values (base URL, credentials,
timeouts, an optional recorder callable) and return small typed objects, so they can be used and
tested on their own.
"""

__version__ = "0.1.0"
USER_AGENT = f"Switchboard/{__version__} (+support back-office)"
