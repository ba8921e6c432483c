"""The small typed objects the clients return, and their tolerant parsers, one module per vendor.

``connectors.types.thulium``, ``.helpcrunch`` and ``.bony`` hold each vendor's objects;
``connectors.types.common`` the readers they share. Every name the single ``connectors.types``
module used to define is re-exported here, so ``from connectors.types import X`` keeps working;
the shared readers (``as_mapping``, ``opt_int``, ...) are re-exported with the ``as`` spelling, so
``__all__``, and with it ``import *``, stays what it was.
"""

from __future__ import annotations

from connectors.types.bony import BonyContact
from connectors.types.common import Raw as Raw
from connectors.types.common import as_mapping as as_mapping
from connectors.types.common import list_items as list_items
from connectors.types.common import opt_int as opt_int
from connectors.types.common import opt_str as opt_str
from connectors.types.common import require_int as require_int
from connectors.types.common import unexpected as unexpected
from connectors.types.common import unwrap as unwrap
from connectors.types.helpcrunch import (
    HelpCrunchAgent,
    HelpCrunchChat,
    HelpCrunchCustomer,
    HelpCrunchMessage,
)
from connectors.types.helpcrunch import unix_seconds as unix_seconds
from connectors.types.thulium import (
    FeedMessage,
    ThuliumCustomer,
    ThuliumTicket,
    ThuliumTicketMessage,
)
from connectors.types.thulium import local_datetime as local_datetime

__all__ = [
    "BonyContact",
    "FeedMessage",
    "HelpCrunchAgent",
    "HelpCrunchChat",
    "HelpCrunchCustomer",
    "HelpCrunchMessage",
    "ThuliumCustomer",
    "ThuliumTicket",
    "ThuliumTicketMessage",
]
