"""{{name}}: a Wask task in Python. Each public top-level function is a task; its
type hints are its WIT signature (`host build .` prints where the WIT it made is)."""


def count_words(text: str) -> int:
    """Counts the words of `text`, split on whitespace."""
    return len(text.split())
