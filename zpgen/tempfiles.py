"""Temporary files next to their target, published by an atomic rename.

Every file zpgen writes (event files, grids, merged files, param cards) is written under a
temporary name in the directory of its final name and renamed to the final name only when
complete, so that a half-written file never appears under the final name.

The temporary is ``.<final name>.<random>.part`` (the final name cut to
:data:`NAME_KEEP` characters), made by :func:`tempfile.mkstemp`: the name is unpredictable
and the file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600, so a file or
symbolic link planted under any name cannot redirect the write.  Before the rename the
temporary gets the permissions a new file would have (``0666 & ~umask``).  Creation and
removal run inside :func:`zpgen.signals.deferred`, so a stop signal never falls between
creating a temporary and recording it for removal.

Limits: the temporary is re-opened by name by the format libraries (uproot, pyarrow,
pyhepmc); someone who may rename files in the output directory can swap it in between, but
such a user can replace the final file as well.  Use output directories that only you (or a
sticky-bit directory such as /tmp) can rename files in.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from . import signals

__all__ = ["NAME_KEEP", "TAGS", "TEMP_SUFFIX", "atomic_write_bytes", "create_temporary", "publish",
           "remove_quietly", "temporaries_of"]

#: Characters of the final name kept in the temporary's name (so a long final name still
#: leaves room for the random part within the 255-byte file-name limit).
NAME_KEEP = 100
#: Suffix of every temporary (a tag of :data:`TAGS` may follow).
TEMP_SUFFIX = ".part"
#: Tags of the temporaries (a writer's second temporary is ``.part-body``).
TAGS = ("", "-body")


def _prefix(target: Path) -> str:
    return f".{target.name[:NAME_KEEP]}."


def create_temporary(target: str | os.PathLike[str], tag: str = "") -> Path:
    """Create an empty temporary file for ``target`` in its directory and return its path.

    Parameters
    ----------
    target
        Final name of the file.
    tag
        Appended to :data:`TEMP_SUFFIX`, one of :data:`TAGS` (``"-body"`` for a second
        temporary).
    """
    if tag not in TAGS:
        raise ValueError(f"tag: expected one of {TAGS}, got {tag!r}")
    target = Path(target)
    fd, name = tempfile.mkstemp(suffix=TEMP_SUFFIX + tag, prefix=_prefix(target),
                                dir=os.fspath(target.parent))
    os.close(fd)
    return Path(name)


def _umask() -> int:
    """The process umask, read without changing it where /proc allows."""
    with contextlib.suppress(OSError, ValueError), \
            open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def publish(temporary: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Give ``temporary`` the permissions of a new file and rename it to ``target``."""
    os.chmod(temporary, 0o666 & ~_umask())
    os.replace(temporary, target)


def remove_quietly(path: str | os.PathLike[str] | None) -> None:
    """Remove ``path`` if it exists (a missing file is not an error)."""
    if path is None:
        return
    with signals.deferred(), contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary (module docstring)."""
    with signals.deferred():
        tmp = create_temporary(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, target)
    except BaseException:
        remove_quietly(tmp)
        raise


def temporaries_of(target: str | os.PathLike[str]) -> list[Path]:
    """Every temporary of ``target`` present in its directory (for a cleanup sweep).

    Only names of the form ``.<final name>.<random>.part*`` are returned: no other file can
    match, so removing them cannot destroy anything that was not a temporary of ``target``.
    """
    target = Path(target)
    prefix = _prefix(target)
    try:
        names = os.listdir(target.parent)
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix):]
        stem, sep, tag = rest.partition(TEMP_SUFFIX)
        # mkstemp's random part: 8 characters of [a-z0-9_]
        if (sep and tag in TAGS and len(stem) == 8
                and all(c.isalnum() or c == "_" for c in stem)):
            out.append(target.parent / name)
    return sorted(out)
