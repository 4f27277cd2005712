"""User text made safe for a terminal: no markup, no escape sequences, no secrets, one line per error.

File names, article text, span text and labels are the user's (or a server's) text. Rich would
read `[b]` in them as markup and a terminal would obey `ESC[2J`, so everything shown goes
through here. Offsets never move: each unprintable character becomes exactly one U+FFFD.
"""

from __future__ import annotations

import os
import re

from rich.text import Text

# C0 and C1 control characters (terminal escape sequences start with one) and the
# bidirectional overrides that reorder what a terminal shows; newlines and tabs stay.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SECRET_VARIABLES = ("LABEL_STUDIO_API_KEY",)  # values never shown, whatever a library puts in its messages
# The user-info part of a URL (`http://user:password@host`): a password is shown as ***.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s:]*):[^/@\s]*@")


def quiet_libraries() -> None:
    """Keep library chatter (weight-loading bars, cache writes) off the terminal; our own bars stay.
    Called by the CLI and in every worker process or actor that loads a model."""
    import datasets
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()


def printable(text: str) -> str:
    """`text` safe to show on a terminal: each control character becomes U+FFFD, so lengths and offsets stay."""
    return _UNPRINTABLE.sub("\ufffd", text)


def redact(text: str) -> str:
    """`text` with the value of every secret environment variable, and the password of every URL, replaced by ***."""
    text = _URL_CREDENTIALS.sub(r"\1\2:***@", text)
    for variable in SECRET_VARIABLES:
        secret = os.environ.get(variable)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def one_line(message: object) -> str:
    """A message as one printable line without secrets (newlines become ` | `)."""
    return printable(redact(str(message)).strip().replace("\r\n", "\n").replace("\n", " | ").replace("\t", " "))


def plain(value: object, style: str = "") -> Text:
    """A table cell or title that Rich shows as it is (no markup), control characters neutralised."""
    return Text(printable(str(value)), style=style)
