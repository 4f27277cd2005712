"""Writing files so that nothing is ever half-written: write aside, fsync, rename into place.

An interrupted or failed run leaves either the old file or the new one, never a truncated
one that looks complete (the rename is atomic on one file system).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from training.errors import XiezuoError


@contextmanager
def atomic_output(path: Path) -> Iterator[TextIO]:
    """A text stream whose content replaces `path` only if the block finishes without an exception."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; the result is an ordinary file
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def inside(folder: Path, name: str) -> Path:
    """`folder / name`, refused in one line unless it resolves to a file directly inside `folder`
    (a name from a server or a user's data never writes elsewhere: no `..`, no absolute path, no symlink out)."""
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise XiezuoError(f"{target}: would be written outside {folder}; refused")
    return target


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_output(path) as stream:
        stream.write(text)


def replace_folder(new: Path, target: Path) -> None:
    """Put the complete folder `new` at `target`: the old one is moved aside first and removed last,
    so `target` is always either the old model or the new one, whole (two renames, no copying)."""
    if not target.exists():
        new.rename(target)
        return
    old = target.with_name(f".{target.name}.replaced")
    shutil.rmtree(old, ignore_errors=True)
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old)
