"""User text made safe for a terminal: no markup, no escape sequences, no secrets, one line per error.

File names, article text, span text and labels are the user's (or a server's) text. Rich would
read `[b]` in them as markup and a terminal would obey `ESC[2J`, so everything shown goes
through here. Offsets never move: each unprintable character becomes exactly one U+FFFD.
"""

from __future__ import annotations

import os
import re
import sys

from rich.text import Text

# C0 and C1 control characters (terminal escape sequences start with one) and the
# bidirectional overrides that reorder what a terminal shows; newlines and tabs stay.
# Lone surrogates (from file names that are not UTF-8) too: no terminal can print them.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_URL_PASSWORD = re.compile(r"(://[^/@\s:]*:)[^/@\s]*@")  # http://user:password@host
SECRET_VARIABLES = ("LABEL_STUDIO_API_KEY",)  # values never shown, whatever a library puts in its messages
# The user-info part of a URL (`http://user:password@host`): a password is shown as ***.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s:]*):[^/@\s]*@")


def quiet_libraries() -> None:
    """Keep library chatter (weight-loading bars, cache writes) off the terminal; our own bars stay.
    Called by the CLI and in every worker process or actor that loads a model. Environment variables do
    it for libraries not imported yet (and for the processes this one starts), without importing them."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:
        transformers = sys.modules["transformers"]
        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
    if "datasets" in sys.modules:
        sys.modules["datasets"].disable_progress_bars()


def printable(text: str) -> str:
    """`text` safe to show on a terminal: each control character (or lone surrogate) becomes U+FFFD, so lengths
    and offsets stay."""
    return _UNPRINTABLE.sub("\ufffd", text)


def redact(text: str) -> str:
    """`text` with the value of every secret environment variable, and the password of every URL, replaced by ***."""
    text = _URL_CREDENTIALS.sub(r"\1\2:***@", text)
    for variable in SECRET_VARIABLES:
        secret = os.environ.get(variable)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _URL_PASSWORD.sub(r"\1***@", text)


def one_line(message: object) -> str:
    """A message as one printable line without secrets (newlines become ` | `)."""
    text = str(message).encode("utf-8", "backslashreplace").decode("utf-8")  # a file name that is not UTF-8
    return printable(redact(text).strip().replace("\r\n", "\n").replace("\n", " | ").replace("\t", " "))


def plain(value: object, style: str = "") -> Text:
    """A table cell or title that Rich shows as it is (no markup), control characters neutralised."""
    return Text(printable(str(value).encode("utf-8", "backslashreplace").decode("utf-8")), style=style)
