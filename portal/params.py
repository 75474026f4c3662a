"""Values read from a page's URL parameters, where anything may have been typed."""

MAX_ID = 2**63 - 1  # a BigAutoField


def object_id(value) -> int | None:
    """The primary key in ``value``, or None when it cannot be one: not ASCII digits (``"²"``
    passes ``str.isdigit``), zero, or beyond a 64-bit key (SQLite cannot even bind it)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > 19 or not 0 < int(value) <= MAX_ID:
        return None
    return int(value)
