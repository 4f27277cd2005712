"""The one exception type the project raises for bad input or set-up.

Library code raises `XiezuoError` with a message that says what is wrong and
where (file, task, offset); the CLI prints it on one line and exits 1.
"""


class XiezuoError(Exception):
    """Bad input, bad config or a missing resource, explained in one line."""
