"""Clean stops on SIGINT, SIGTERM and SIGHUP (batch systems stop jobs with SIGTERM).

Python's default for SIGTERM and SIGHUP is to die on the spot, leaving temporaries behind,
and its SIGINT handler raises ``KeyboardInterrupt`` again on every Ctrl-C, so that a second
one can interrupt the cleanup of the first.  Within :func:`stop_on_signals` (entered by
``zpgen.cli.main`` and by every job of ``zpgen run-jobs``):

* a signal this process ignores (``nohup`` ignores SIGHUP) stays ignored;
* the first of SIGINT, SIGTERM or SIGHUP raises :class:`Stop` (a ``KeyboardInterrupt``)
  in the main thread, so every ``with``/``finally`` on the way out runs: writers abort and
  remove their temporaries, ``run-jobs`` stops its workers and removes its job files;
* every later signal is ignored until the context exits: the cleanup cannot be
  interrupted (only SIGKILL, which no program can handle, stops it);
* inside :func:`deferred` (creating and registering a temporary file, removing
  temporaries) a signal is held back and acted on at the end of the section, so a stop
  never falls between creating a file and recording that it must be removed.

A :class:`Stop` raised while the interpreter runs a finaliser (``__del__``, a weakref
callback: Numba's and llvmlite's objects have them) cannot propagate: Python reports it
as "Exception ignored" and carries on.  Inside :func:`stop_on_signals` such a swallowed
stop is recorded instead of printed, and :func:`check`, called at the engine's safe points
(every chunk generated or written, every second while ``run-jobs`` waits for its jobs),
raises it again, so no stop is lost.

The exit status of a stopped command is ``128 + signal number`` (130 SIGINT, 143 SIGTERM,
129 SIGHUP), as for a process killed by the signal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["STOP_SIGNALS", "Stop", "check", "deferred", "die_by", "stop_on_signals",
           "stopping"]

#: The signals that stop a run cleanly (SIGHUP where the platform has it).
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class Stop(KeyboardInterrupt):
    """A stop signal arrived; raised once, in the main thread."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"stopped by {signal.Signals(self.signum).name}")

    @property
    def name(self) -> str:
        """The signal's name (``SIGTERM``)."""
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        """``128 + signal number``."""
        return 128 + self.signum


class _State:
    """Process-wide state of the handlers (they run in the main thread only)."""

    def __init__(self) -> None:
        self.depth = 0               # nesting of stop_on_signals
        self.stopping: int | None = None
        self.deferred = 0            # nesting of deferred() in the main thread
        self.pending: int | None = None
        self.swallowed: int | None = None  # a Stop a finaliser swallowed (module docstring)


_STATE = _State()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _STATE.stopping is not None:  # a stop is already being carried out: let it finish
        return
    if _STATE.deferred > 0:
        _STATE.pending = signum
        return
    _STATE.stopping = signum
    raise Stop(signum)


def stopping() -> int | None:
    """The signal that started a stop in progress, or None."""
    return _STATE.stopping


def check() -> None:
    """Raise again a :class:`Stop` that a finaliser swallowed (module docstring); nothing
    otherwise.  Cheap: call it at every safe point of a long loop (main thread)."""
    if _STATE.swallowed is not None and _in_main_thread():
        signum, _STATE.swallowed = _STATE.swallowed, None
        raise Stop(signum)


def _unraisable_hook(previous: Any) -> Any:
    """A ``sys.unraisablehook`` that records a swallowed :class:`Stop` and passes anything
    else to ``previous``."""
    def hook(unraisable: Any) -> None:
        exc = getattr(unraisable, "exc_value", None)
        if isinstance(exc, Stop):
            _STATE.swallowed = exc.signum
            return
        previous(unraisable)
    return hook


@contextlib.contextmanager
def stop_on_signals(exiting: bool = False) -> Iterator[None]:
    """Turn the stop signals into one :class:`Stop` (module docstring).

    Installs the handlers when called in the main thread (elsewhere, e.g. in a Dask worker
    thread, it does nothing) and restores the previous handlers on exit.  Nested use is
    allowed; only the outermost level installs and restores.

    Parameters
    ----------
    exiting
        The process ends after the context (the ``zpgen`` command): after a stop, the stop
        signals stay ignored instead of getting their previous handlers back, so a second
        Ctrl-C arriving during the interpreter's shutdown cannot kill it mid-way.
    """
    if not _in_main_thread():
        yield
        return
    outermost = _STATE.depth == 0
    previous = {}
    previous_hook = sys.unraisablehook
    if outermost:
        _STATE.stopping = None
        _STATE.pending = None
        _STATE.swallowed = None
        sys.unraisablehook = _unraisable_hook(previous_hook)
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue  # ignored on purpose (nohup, a pool worker): stays ignored
            previous[sig] = signal.signal(sig, _handler)
    _STATE.depth += 1
    try:
        yield
    finally:
        _STATE.depth -= 1
        if outermost:
            stopped = _STATE.stopping is not None
            for sig, handler in previous.items():
                signal.signal(sig, signal.SIG_IGN if exiting and stopped else handler)
            sys.unraisablehook = previous_hook
            _STATE.stopping = None
            _STATE.pending = None
            _STATE.swallowed = None


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold back a stop signal until the end of the section (main thread only).

    For short sections that must not be cut in two: creating a temporary file and
    recording it for removal, removing temporaries.  A signal held back raises
    :class:`Stop` when the outermost section ends.
    """
    if not _in_main_thread():
        yield
        return
    _STATE.deferred += 1
    try:
        yield
    finally:
        _STATE.deferred -= 1
        if _STATE.deferred == 0 and _STATE.pending is not None and _STATE.stopping is None:
            signum, _STATE.pending = _STATE.pending, None
            _STATE.stopping = signum
            raise Stop(signum)


def die_by(signum: int) -> None:  # pragma: no cover - ends the process
    """End this process by ``signum`` with the default action (after its own cleanup).

    Used by the worker processes of ``run-jobs``: their parent sees them killed by the
    signal, as if they had not handled it, but only after their temporaries are gone.
    """
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    signal.pause()
