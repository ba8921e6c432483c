"""HelpCrunch's `POST /customers/search`: filters, AND/OR comparison and sorting.

The vendor's documented fields (`customers.id`, `name`, `email`, `company`, `phone`, `userId`,
`city`, `countryCode`, `firstSeen`, `lastSeen`, `tagsData`) and operators (`=`, `!=`, `~` for
"contains", `!~`, `>`, `>=`, `<`, `<=`); `=` on text ignores case. `tagsData` takes
`[{"name": ...}]` and matches customers holding all of those tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from connectors.sandbox.state import HelpCrunchCustomer, stamp_value
from connectors.sandbox.wire import Problem, require_str

INVALID_CHOICE = "The value you selected is not a valid choice."
CUSTOMER_FIELDS: dict[str, Callable[[HelpCrunchCustomer], object]] = {
    "id": lambda c: c.id,
    "name": lambda c: c.name,
    "email": lambda c: c.email,
    "company": lambda c: c.company,
    "phone": lambda c: c.phone,
    "userId": lambda c: c.user_id,
    "city": lambda c: c.city,
    "countryCode": lambda c: c.country_code,
    "firstSeen": lambda c: stamp_value(c.first_seen),
    "lastSeen": lambda c: stamp_value(c.last_seen),
}
OPERATORS = ("=", "!=", "~", "!~", ">", ">=", "<", "<=")

Test = Callable[[HelpCrunchCustomer], bool]


def find_customers(
    customers: Iterable[HelpCrunchCustomer], payload: Mapping[str, object]
) -> list[HelpCrunchCustomer]:
    filters = payload.get("filter")
    if not isinstance(filters, list) or not filters:
        raise Problem(400, "This value should not be blank.", code="filter")
    tests = [filter_test(index, spec) for index, spec in enumerate(filters)]
    combine = any if str(payload.get("comparison", "AND")).upper() == "OR" else all
    found = [c for c in customers if combine(test(c) for test in tests)]
    sort = str(payload.get("sort", "customers.id")).removeprefix("customers.")
    getter = CUSTOMER_FIELDS.get(sort)
    if getter is None:
        raise Problem(400, INVALID_CHOICE, code="sort")
    found.sort(key=lambda c: sortable(getter(c)), reverse=descending(payload.get("order")))
    return found


def filter_test(index: int, spec: object) -> Test:
    where = f"filter[{index}]"
    if not isinstance(spec, dict):
        raise Problem(400, "This value should be of type object.", code=where)
    field = require_str(spec, "field", code=f"{where}.field").removeprefix("customers.")
    if field not in CUSTOMER_FIELDS and field != "tagsData":
        raise Problem(400, INVALID_CHOICE, code=f"{where}.field")
    operator = spec.get("operator")
    if not isinstance(operator, str) or operator not in OPERATORS:
        raise Problem(400, INVALID_CHOICE, code=f"{where}.operator")
    if "value" not in spec:
        raise Problem(400, "This value should not be blank.", code=f"{where}.value")
    wanted = spec["value"]
    if field == "tagsData":
        if not isinstance(wanted, list):
            raise Problem(400, "This value should be of type array.", code=f"{where}.value")
        names = {t.get("name") for t in wanted if isinstance(t, dict)}
        present = operator != "!="
        return lambda c: names.issubset({t.name for t in c.tags}) == present
    getter = CUSTOMER_FIELDS[field]
    return lambda c: compare(getter(c), operator, wanted)


def descending(order: object) -> bool:
    """`order=asc|desc` (any case); ascending when absent."""
    if order is None:
        return False
    if not isinstance(order, str) or order.lower() not in ("asc", "desc"):
        raise Problem(400, INVALID_CHOICE, code="order")
    return order.lower() == "desc"


def sortable(value: object) -> tuple[int, float | str]:
    """A sort key putting nulls first, then numbers, then text (ignoring case)."""
    if value is None:
        return (0, 0.0)
    if isinstance(value, int | float):
        return (1, float(value))
    return (2, str(value).lower())


def compare(actual: object, operator: str, wanted: object) -> bool:
    if operator in ("~", "!~"):
        contains = str(wanted).lower() in str(actual or "").lower()
        return contains if operator == "~" else not contains
    if not isinstance(actual, float | int):
        if operator not in ("=", "!="):
            return False
        equal = str(actual or "").lower() == str(wanted).lower()
        return equal if operator == "=" else not equal
    try:
        left, right = float(actual), float(str(wanted))
    except ValueError:
        return False
    return {
        "=": left == right,
        "!=": left != right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[operator]
