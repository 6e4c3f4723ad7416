"""Reports: Rich renderings for people and plain dicts for JSON/YAML, one module per command.

Rich is imported here only inside rendering functions; the ``*_data`` functions return plain dicts.
"""


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless the count is one: the reports' one way of counting.

    >>> count_of(1, "node"), count_of(3, "zone"), count_of(0, "pod"), count_of(2, "DaemonSet")
    ('1 node', '3 zones', '0 pods', '2 DaemonSets')
    >>> count_of(1_234, "address", "addresses")
    '1,234 addresses'
    """
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
