"""Writing a file so that it is never left half-written.

Saved pipelines, generated partition sources and stripped notebooks are all written the same
way: into a temporary file in the target's own folder (so the final rename never crosses a file
system), flushed and ``fsync``-ed, then moved over the target with ``os.replace``, which is
atomic. On any failure the temporary file is removed and the old target, if any, is untouched.
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike, data: bytes | str, *, mode: int | None = None) -> str:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one atomic step.

    Args:
        path: the file to write; its folder must exist.
        data: the whole content.
        mode: permission bits for the new file (``mkstemp`` creates 0600); ``None`` keeps 0600.

    Returns:
        ``path`` as a string.

    Raises:
        OSError: the folder is missing or not writable, or the disk is full; nothing is left behind.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target
