"""Deterministic seed data: the same seed and size give the same world, id for id.

Fixed records every demo and test can rely on are named below. Each vendor (and each Bony
channel) draws from its own `random.Random`, so resizing one does not reshuffle the others. The
first people of every vendor (`SHARED_PEOPLE`) share an e-mail across the three vendors, with the
phone number written each vendor's way, for cross-vendor linking demos.
"""

from __future__ import annotations

import base64
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.sandbox import seed_data as words
from connectors.sandbox.state import (
    BonyChannel,
    BonyContact,
    ChatQueue,
    HelpCrunchAgent,
    HelpCrunchChat,
    HelpCrunchCustomer,
    HelpCrunchData,
    HelpCrunchMessage,
    HelpCrunchTag,
    SandboxState,
    Stamp,
    ThuliumAgent,
    ThuliumCustomer,
    ThuliumData,
    ThuliumMessage,
    ThuliumTicket,
)

THULIUM_CUSTOMER_ID = 1
THULIUM_TICKET_ID = 1
THULIUM_CHAT_QUEUE_ID = 1
THULIUM_AGENT_LOGIN = "agent.demo"
THULIUM_CLIENT_ID = "1234"  # customer 1's external id, as in the vendor's chat example
HELPCRUNCH_CUSTOMER_ID = 1
HELPCRUNCH_CHAT_ID = 1
HELPCRUNCH_AGENT_ID = 1
BONY_CONTACT_ID = "1776025372480910"  # first contact of every Messenger channel
BONY_VIBER_CONTACT_ID = "5VJAZzcm2ltdqkI0ZH8x1w=="  # first contact of every Viber channel

DEFAULT_SEED = 1
DEFAULT_CONTACTS = 40
# Seeded history ends here (the clock of writes is the real one, always later).
SEED_END = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str | None
    phone: str | None
    city: str
    female: bool
    locale: str  # pl_PL | uk_UA | es_ES


def seed_state(
    state: SandboxState,
    *,
    seed: int = DEFAULT_SEED,
    contacts: int = DEFAULT_CONTACTS,
    bony_channels: Mapping[str, str],
) -> None:
    """Replace the state's data with a fresh world (`bony_channels`: token → messenger|viber)."""
    thulium = seed_thulium(random.Random(f"{seed}:thulium"), contacts)
    helpcrunch = seed_helpcrunch(random.Random(f"{seed}:helpcrunch"), contacts)
    bony = {
        token: seed_bony_channel(random.Random(f"{seed}:bony:{token}"), token, kind, contacts)
        for token, kind in bony_channels.items()
    }
    with state.lock:
        state.thulium, state.helpcrunch, state.bony = thulium, helpcrunch, bony
        state.rng = random.Random(f"{seed}:writes")


# --- people ----------------------------------------------------------------------------------


def ascii_fold(text: str) -> str:
    """`Łukasz Wójcik` → `Lukasz Wojcik`, for e-mail addresses."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _email(rng: random.Random, first: str, last: str, domains: list[str], used: set[str]) -> str:
    local = f"{ascii_fold(first)}.{ascii_fold(last)}".lower().replace(" ", "")
    domain = rng.choice(domains)
    candidate, n = f"{local}@{domain}", 1
    while candidate in used:
        n += 1
        candidate = f"{local}{n}@{domain}"
    used.add(candidate)
    return candidate


def polish_person(rng: random.Random, used: set[str]) -> Person:
    first, gender = rng.choice(words.POLISH_FIRST)
    forms = rng.choice(words.POLISH_SURNAMES).split("|")
    last = forms[-1] if gender == "f" else forms[0]
    phone = f"+48 {rng.choice('5678')}{rng.randint(0, 99):02d} {rng.randint(0, 999):03d} "
    phone += f"{rng.randint(0, 999):03d}"
    email = _email(rng, first, last, words.POLISH_DOMAINS, used)
    city = rng.choice(words.POLISH_CITIES)
    return Person(first, last, email, phone, city, gender == "f", "pl_PL")


def ukrainian_person(rng: random.Random, used: set[str], *, latin: bool = False) -> Person:
    first, first_latin, gender = rng.choice(words.UKRAINIAN_FIRST)
    last, last_latin = rng.choice(words.UKRAINIAN_SURNAMES)
    email = _email(rng, first_latin, last_latin, words.UKRAINIAN_DOMAINS, used)
    if latin:
        first, last = first_latin.capitalize(), last_latin.capitalize()
    phone = f"+380{rng.choice(['50', '63', '67', '73', '93', '97'])}{rng.randint(0, 9999999):07d}"
    city = rng.choice(words.UKRAINIAN_CITIES)
    return Person(first, last, email, phone, city, gender == "f", "uk_UA")


def spanish_person(rng: random.Random, used: set[str]) -> Person:
    first, gender = rng.choice(words.SPANISH_FIRST)
    last = " ".join(rng.sample(words.SPANISH_SURNAMES, 2))
    email = _email(rng, first, last.split()[0], words.SPANISH_DOMAINS, used)
    phone = f"34{rng.choice('67')}{rng.randint(0, 99999999):08d}"
    city = rng.choice(words.SPANISH_CITIES)
    return Person(first, last, email, phone, city, gender == "f", "es_ES")


def shared_person(index: int, vendor: int) -> Person:
    """The `index`-th cross-vendor person, phone in vendor `vendor`'s style (0, 1, 2)."""
    first, last, email, phones, city, locale, female = words.SHARED_PEOPLE[index]
    return Person(first, last, email, phones[vendor], city, female, locale)


def _moment(rng: random.Random, *, days_back: float) -> datetime:
    return SEED_END - timedelta(seconds=rng.uniform(0, days_back * 86400))


# --- Thulium ---------------------------------------------------------------------------------


def seed_thulium(rng: random.Random, size: int) -> ThuliumData:
    data = ThuliumData()
    for login, name, surname in words.THULIUM_AGENTS:
        data.agents[login] = ThuliumAgent(login, name, surname, f"{login}@switchboard.example")
    for queue_id, queue_name in enumerate(words.THULIUM_QUEUES, start=1):
        data.chat_queues[queue_id] = ChatQueue(queue_id, queue_name)
    used: set[str] = set()
    for customer_id in range(1, max(size, 1) + 1):
        if customer_id <= len(words.SHARED_PEOPLE):
            person = shared_person(customer_id - 1, 0)
        elif rng.random() < 0.8:
            person = polish_person(rng, used)
        else:
            person = ukrainian_person(rng, used, latin=True)
        created = _moment(rng, days_back=400)
        data.customers[customer_id] = ThuliumCustomer(
            customer_id=customer_id,
            name=person.first,
            surname=person.last,
            email=person.email if customer_id == 1 or rng.random() > 0.05 else None,
            phone_number=person.phone if customer_id == 1 or rng.random() > 0.1 else None,
            company_name=rng.choice(words.POLISH_COMPANIES),
            client_id=THULIUM_CLIENT_ID if customer_id == 1 else _maybe_client_id(rng, customer_id),
            custom_fields={
                "miasto": person.city,
                "segment": rng.choice(words.THULIUM_SEGMENTS),
                "numer_klienta": f"K/{created.year}/{customer_id:05d}",
                "zgoda_marketingowa": rng.choice(["tak", "nie"]),
            },
            tags=rng.sample(words.THULIUM_TAGS, rng.randint(0, 2)),
            created_at=created,
            updated_at=created + (SEED_END - created) * rng.random(),
        )
    logins = list(data.agents)
    for ticket_id in range(1, max(size, 1) + 1):
        customer = data.customers[1 if ticket_id == 1 else rng.randint(1, len(data.customers))]
        ticket = ThuliumTicket(
            ticket_id=ticket_id,
            subject=rng.choice(words.THULIUM_SUBJECTS).format(
                n=rng.randint(10000, 99999), month=rng.choice(["maj", "kwiecień", "marzec"])
            ),
            status_id=2 if ticket_id == 1 else rng.choice([1, 2, 2, 3, 4, 4]),
            queue_id=rng.randint(1, len(data.chat_queues)),
            customer_id=customer.customer_id,
            customer_email=customer.email,
            created_at=_moment(rng, days_back=120),
            updated_at=SEED_END,
        )
        when = ticket.created_at
        for position in range(rng.randint(1, 4) if ticket_id != 1 else 3):
            kind = "MAIL" if position == 0 else rng.choice(["REPLY", "REPLY", "COMMENT", "MAIL"])
            _add_thulium_message(data, rng, ticket, kind, when, logins)
            when += timedelta(minutes=rng.randint(5, 2880))
        ticket.updated_at = ticket.messages[-1].date
        data.tickets[ticket_id] = ticket
    return data


def _maybe_client_id(rng: random.Random, customer_id: int) -> str | None:
    return f"CRM-{10000 + customer_id}" if rng.random() < 0.5 else None


def _add_thulium_message(
    data: ThuliumData,
    rng: random.Random,
    ticket: ThuliumTicket,
    kind: str,
    when: datetime,
    logins: list[str],
) -> None:
    agent = THULIUM_AGENT_LOGIN if ticket.ticket_id == 1 else rng.choice(logins)
    if kind == "MAIL":
        body, body_type = rng.choice(words.THULIUM_MAILS), "PLAIN"
    elif kind == "REPLY":
        body = rng.choice(words.THULIUM_REPLIES)
        body_type = "HTML" if body.startswith("<") else "PLAIN"
    else:
        body, body_type = rng.choice(words.THULIUM_COMMENTS), "PLAIN"
    ticket.messages.append(
        ThuliumMessage(
            message_id=data.next_message_id,
            type=kind,
            body=body,
            body_type=body_type,
            user_login=None if kind == "MAIL" else agent,
            from_email=ticket.customer_email if kind == "MAIL" else None,
            date=when,
        )
    )
    data.next_message_id += 1


# --- HelpCrunch ------------------------------------------------------------------------------


def _hc_stamp(rng: random.Random, moment: datetime, *, string: bool) -> Stamp:
    """HelpCrunch sends UNIX seconds as ints, as strings, and as strings with a fraction."""
    seconds = moment.timestamp()
    if not string:
        return int(seconds)
    if rng.random() < 0.35:
        return f"{seconds:.3f}"
    return str(int(seconds))


def seed_helpcrunch(rng: random.Random, size: int) -> HelpCrunchData:
    data = HelpCrunchData()
    for agent_id, (name, email, role) in enumerate(words.HELPCRUNCH_AGENTS, start=1):
        data.agents[agent_id] = HelpCrunchAgent(agent_id, name, email, role)
    for name, color in words.HELPCRUNCH_TAGS:
        data.tags[name] = HelpCrunchTag(name, color)
    used: set[str] = set()
    for customer_id in range(1, max(size, 1) + 1):
        if customer_id <= len(words.SHARED_PEOPLE):
            person = shared_person(customer_id - 1, 1)
        elif rng.random() < 0.75:
            person = ukrainian_person(rng, used)
        else:
            person = polish_person(rng, used)
        first_seen = _moment(rng, days_back=365)
        last_seen = first_seen + (SEED_END - first_seen) * rng.random()
        data.customers[customer_id] = HelpCrunchCustomer(
            id=customer_id,
            name=f"{person.first} {person.last}",
            email=person.email,
            user_id=f"user_{customer_id}" if rng.random() < 0.6 else None,
            company=None,
            phone=person.phone.replace(" ", "") if person.phone else None,
            notes=None,
            locale=person.locale[:2],
            city=person.city,
            country_code=person.locale[3:],
            first_seen=_hc_stamp(rng, first_seen, string=False),
            last_seen=_hc_stamp(rng, last_seen, string=rng.random() < 0.5),
            custom_data={
                "plan": rng.choice(["free", "basic", "pro"]),
                "number_of_payments": rng.randint(0, 40),
                "last_paid_amount": round(rng.uniform(49, 2500), 2),
                "subscribed": rng.random() < 0.5,
            },
            tags=[data.tags[name] for name in rng.sample(list(data.tags), rng.randint(0, 2))],
        )
    for chat_id in range(1, max(size, 1) + 1):
        _seed_chat(data, rng, chat_id)
    return data


def _seed_chat(data: HelpCrunchData, rng: random.Random, chat_id: int) -> None:
    first = chat_id == HELPCRUNCH_CHAT_ID
    customer_id = HELPCRUNCH_CUSTOMER_ID if first else rng.randint(1, len(data.customers))
    assignee = HELPCRUNCH_AGENT_ID if first else rng.choice([None, *data.agents])
    started = _moment(rng, days_back=90)
    status = "opened" if first else rng.choice(words.HELPCRUNCH_STATUSES)
    chat = HelpCrunchChat(
        id=chat_id,
        customer_id=customer_id,
        assignee_id=assignee,
        status=status,
        created_at=_hc_stamp(rng, started, string=rng.random() < 0.3),
        department=rng.choice([None, "Підтримка", "Продажі"]),
    )
    when = started
    for position in range(4 if first else rng.randint(1, 8)):
        from_customer = position % 2 == 0
        note = not from_customer and rng.random() < 0.15
        if from_customer:
            text = rng.choice(words.HELPCRUNCH_CUSTOMER_LINES)
        else:
            text = rng.choice(words.HELPCRUNCH_NOTES if note else words.HELPCRUNCH_AGENT_LINES)
        stamp = str(_hc_stamp(rng, when, string=True))
        agent_id = None if from_customer else (assignee or HELPCRUNCH_AGENT_ID)
        chat.messages.append(
            HelpCrunchMessage(
                id=data.next_message_id,
                chat_id=chat_id,
                agent_id=agent_id,
                type="private" if note else "message",
                text=text,
                read=True,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        data.next_message_id += 1
        if from_customer:
            chat.last_customer_message_at = stamp
        chat.last_message_at = _hc_stamp(rng, when, string=False)
        when += timedelta(seconds=rng.randint(20, 7200))
    if status == "closed":
        chat.closed_at, chat.closed_by = chat.last_message_at, rng.choice(["agent", "customer"])
        chat.rating = rng.choice([None, "great", "average", "poor"])
    data.chats[chat_id] = chat


# --- Bony.chat -------------------------------------------------------------------------------


def seed_bony_channel(rng: random.Random, token: str, kind: str, size: int) -> BonyChannel:
    channel = BonyChannel(token=token, kind=kind)
    used: set[str] = set()
    for index in range(max(size, 1)):
        if index < len(words.SHARED_PEOPLE):
            person = shared_person(index, 2)
        elif rng.random() < 0.8:
            person = spanish_person(rng, used)
        else:
            person = ukrainian_person(rng, used, latin=True)
        if index == 0:
            contact_id = BONY_VIBER_CONTACT_ID if channel.viber else BONY_CONTACT_ID
        else:
            contact_id = new_bony_contact_id(rng, channel)
        created = _moment(rng, days_back=500)
        channel.contacts[contact_id] = BonyContact(
            id=contact_id,
            custom_fields={
                "firstName": person.first,
                "lastName": person.last,
                "email": person.email,
                "phone": person.phone,
                "locale": person.locale,
                "timezone": "2" if person.locale == "uk_UA" else "1",
                "gender": "female" if person.female else "male",
                "customerid": str(1000 + index),
                "city": person.city,
                "plan": rng.choice(words.BONY_PLANS),
                "newsletter": rng.random() < 0.5,
            },
            tags=rng.sample(words.BONY_TAGS, rng.randint(0, 3)),
            created_at=int(created.timestamp()),
            updated_at=created,
        )
    return channel


def new_bony_contact_id(rng: random.Random, channel: BonyChannel) -> str:
    """A fresh id: 16 digits on Messenger, a base64-looking Viber user id on Viber."""
    while True:
        if channel.viber:
            candidate = base64.b64encode(rng.randbytes(16)).decode("ascii")
        else:
            candidate = str(rng.randint(10**15, 10**16 - 1))
        if candidate not in channel.contacts:
            return candidate
