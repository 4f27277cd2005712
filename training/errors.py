"""The one exception type the project raises for bad input or set-up.

Library code raises `XiezuoError` with a message that says what is wrong and
where (file, task, offset); the CLI prints it on one line and exits 1.
"""


class XiezuoError(Exception):
    """Bad input, bad config or a missing resource, explained in one line."""


def first_line(error: BaseException) -> str:
    """The first line of a library's exception message (its type when the message is empty), for a one-line error."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
