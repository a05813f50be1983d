"""Where zpgen may write: the checks every command runs on its output path before any work.

No command destroys a file it was not asked to replace.  An output path is refused when

* it exists and ``--overwrite`` was not given (``zpgen merge`` included: forgetting OUT in
  ``zpgen merge j0.root j1.root j2.root`` would otherwise replace j0.root);
* it is one of the run's own inputs (the card, the grid, a flux table, a file to merge),
  even with ``--overwrite``;
* it is a directory, a symbolic link or another non-regular file (a device, a FIFO): the
  final rename would replace the link itself, or fail only after the whole run;
* its directory does not exist or is not writable;
* its name is longer than the file system allows (checked before the run, not at the
  final rename).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["OutputError", "check_output_path", "name_max", "same_file"]


class OutputError(ValueError):
    """An output path that must not be written (the message names the option and path)."""


def name_max(folder: str | os.PathLike[str]) -> int:
    """Longest file name (bytes) the file system of ``folder`` allows (255 if unknown)."""
    try:
        return int(os.pathconf(os.fspath(folder), "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same file (same inode, or the same absolute path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output_path(path: str | os.PathLike[str], *, overwrite: bool, flag: str = "--output",
                      inputs: Mapping[str, str | os.PathLike[str] | None] | None = None
                      ) -> Path:
    """Refuse an output path that must not be written (module docstring).

    Parameters
    ----------
    path
        The output file.
    overwrite
        Whether the user asked to replace an existing file.
    flag
        The option or argument that gave the path, for the message (``--output``, ``OUT``).
    inputs
        ``{description: path}`` of every file the run reads (``None`` values are skipped).

    Returns
    -------
    Path
        ``path`` as a Path.

    Raises
    ------
    OutputError
        One line naming ``flag``, the path and the reason.
    """
    out = Path(path)
    text = os.fspath(out)
    if not out.name or text.endswith(os.sep):
        raise OutputError(f"{flag}: {text!r} names a directory, not a file")
    folder = out.parent
    if not folder.is_dir():
        raise OutputError(f"{flag}: directory {str(folder)!r} does not exist")
    limit = name_max(folder)
    if len(os.fsencode(out.name)) > limit:
        raise OutputError(f"{flag}: file name is {len(os.fsencode(out.name))} bytes long; "
                          f"the file system allows at most {limit}")
    for what, other in (inputs or {}).items():
        if other is not None and same_file(out, other):
            raise OutputError(f"{flag}: {text!r} is the {what} this run reads; it is never "
                              "replaced (not even with --overwrite)")
    if os.path.islink(out):
        raise OutputError(f"{flag}: {text!r} is a symbolic link; name the file itself "
                          f"({os.path.realpath(out)!r}) or another path")
    if out.is_dir():
        raise OutputError(f"{flag}: {text!r} is a directory, not a file")
    if out.exists() and not out.is_file():
        raise OutputError(f"{flag}: {text!r} exists and is not a regular file")
    if out.exists() and not overwrite:
        raise OutputError(f"{flag}: {text!r} exists; pass --overwrite to replace it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{flag}: directory {str(folder)!r} is not writable")
    return out
