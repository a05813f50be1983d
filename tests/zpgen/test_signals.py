"""Stops under batch signals (issue 12, point 5), on real ``zpgen`` processes.

Each test starts ``zpgen generate`` or ``zpgen run-jobs`` as a subprocess, waits until the
output's temporary exists (the run is writing), sends SIGTERM (Slurm, HTCondor), SIGHUP
(a closed terminal) or three quick SIGINTs (Ctrl-C pressed repeatedly), and checks that the
process ends with status 128 + signal, that neither the output, nor a temporary, nor a job
file, nor the temporary grid is left, and (run-jobs) that no worker process survives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SIGNALS = [(signal.SIGTERM, 1), (signal.SIGHUP, 1), (signal.SIGINT, 3)]
IDS = ["SIGTERM", "SIGHUP", "3xSIGINT"]
WAIT_S = 120.0


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has finished; only its exit status is left


def _stop_while_writing(cmd: list[str], folder: Path, signum: int, times: int) -> list[int]:
    """Run ``cmd``, signal it once a temporary exists in ``folder``; return the
    descendants it had then (its workers)."""
    with subprocess.Popen([sys.executable, "-m", "zpgen", *cmd], cwd=folder,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        start = time.monotonic()
        try:
            while not any(".part" in name for name in os.listdir(folder)):
                assert proc.poll() is None, "the run ended before it was signalled"
                assert time.monotonic() - start < WAIT_S, "no temporary appeared"
                time.sleep(0.05)
            workers = _descendants(proc.pid)
            for _ in range(times):
                proc.send_signal(signum)
                time.sleep(0.02)
            _, err_bytes = proc.communicate(timeout=WAIT_S)
        finally:
            if proc.poll() is None:  # pragma: no cover - only if the test fails
                proc.kill()
                proc.communicate()
    status, err = proc.returncode, err_bytes.decode()
    assert status == 128 + signum, (status, err)
    assert f"stopped by {signal.Signals(signum).name}" in err, err
    assert "Traceback" not in err, err
    return workers


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "times"), SIGNALS, ids=IDS)
def test_generate_stops_cleanly(fast_grid, tmp_path, signum, times):
    out = tmp_path / "events.root"
    _stop_while_writing(["generate", "--grid", str(fast_grid), "-n", "3000000", "-q",
                         "-o", str(out)], tmp_path, signum, times)
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "times"), SIGNALS, ids=IDS)
def test_run_jobs_stops_its_workers_and_cleans_up(tmp_path, signum, times):
    """Without --grid: the parent adapts into a temporary grid, then 2 worker processes
    run 4 jobs; the stop reaches the workers, and the job files, their temporaries and
    the temporary grid are removed."""
    out = tmp_path / "all.root"
    workers = _stop_while_writing(
        ["run-jobs", "-n", "4000000", "--n-jobs", "4", "--executor", "processes",
         "--workers", "2", "--nitn", "2", "--neval", "2000", "--nitn-final", "1", "-q",
         "-o", str(out)], tmp_path, signum, times)
    assert workers, "the run had no worker processes to stop"
    deadline = time.monotonic() + 10.0
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in workers if _alive(p)], "orphan worker processes"
    assert sorted(os.listdir(tmp_path)) == []


def test_a_stop_swallowed_by_a_finaliser_is_raised_again(capsys):
    """A signal handled inside a __del__ (Numba's and llvmlite's objects have them) raises
    Stop where Python can only report it as "Exception ignored"; signals.check raises it
    again, and no traceback is printed."""
    from zpgen import signals

    class Finalised:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(10_000):  # the handler runs here, inside __del__
                pass

    hook_before = sys.unraisablehook
    with pytest.raises(signals.Stop) as stop, signals.stop_on_signals():
        signals.check()  # nothing to raise yet
        obj = Finalised()
        del obj
        assert signals.stopping() == signal.SIGTERM
        signals.check()
        raise AssertionError("signals.check did not raise the swallowed stop")
    assert stop.value.signum == signal.SIGTERM
    assert "Traceback" not in capsys.readouterr().err
    assert sys.unraisablehook is hook_before
