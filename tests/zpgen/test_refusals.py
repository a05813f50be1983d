"""What zpgen refuses, and why: the catalogue of issue 12 (README, same title).

Every case of the adversarial catalogue (2026-11) with its expected outcome.  Bad input
ends in one line on stderr naming the field or file, exit status 2, before any work, and
leaves no file behind; a command never destroys a file it was not asked to replace.

=====================================================  ======================================
case                                                   expected outcome (test)
=====================================================  ======================================
grid crafted to run code (pickle / object array)       refused, nothing runs (here and
                                                       test_gridpack.py)
grid adapted before a flux table was edited            generate --grid refused, names
                                                       flux.path
jobs made before and after editing a flux table        merge refused, names flux.path
``zpgen merge j0.root j1.root j2.root`` (OUT lost)     refused, j0.root untouched
merge OUT equal to an input, even with --overwrite     refused
export-slha onto an existing file                      refused without --overwrite
--overwrite onto the card or the grid itself           refused (generate, adapt, export-slha)
a job file of run-jobs already on disk                 refused, file untouched
a symlink planted at a temporary's name                not followed (temporaries: mkstemp)
an output path that is a symlink                       refused, its target untouched
SIGTERM, SIGHUP, 3 x SIGINT (generate, run-jobs)       clean stop, nothing left
                                                       (test_signals.py)
M_Z' = m5 - m4, m4, m5                                 finite, continuous widths; widths,
                                                       rate, generate run
                                                       (test_widths_edges.py)
card not UTF-8, binary, a directory                    refused, one line
model.m5 = 1e100, a coupling of 1e100                  refused: declared range
blsm with g_bl = 0                                     refused, names model.blsm.g_bl
one-row flux table                                     edges layout: a valid one-bin
                                                       spectrum (rate = closed form);
                                                       centres layout: refused
-n 99999999999999999999; -n 1e12; huge --chunk-size    refused: 1e15 events, disk, memory
-o DIR --overwrite; a 300-byte output name             refused before work; 250 characters
                                                       work (short temporary names)
full disk (known before; met during the run)           refused / one line, no file left
non-ROOT or truncated file to merge, info,             one line (compare: the uproot message
compare-lhe, compare                                   inside spans lines, compare.py)
flux.flavour = numubar or nue                          refused by name (dark_neutrino models
                                                       numu only)
dipole_portal: d <= 0, model.flavour = tau, a beam     refused, one line naming the field and
of another flavour (numubar; nue for flavour mu)       its range (detector nuclei without
                                                       data: tests/processes/
                                                       test_dipole_portal.py)
an overflowing rate                                    reported as overflow, not "zero"
--set value with a newline                             refused
--format contradicting the suffix                      refused
=====================================================  ======================================
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from zpgen.flux.miniboone_bnb import table_path

from zpgen import tempfiles
from zpgen.card import default_card_text
from zpgen.cli import main

TINY = ["--nitn", "1", "--neval", "200", "--nitn-final", "1", "-q"]


def refused(capsys, argv, *needles):
    """``zpgen argv`` exits 2 with one line on stderr containing every needle."""
    assert main(argv) == 2, argv
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def tabulated_card(folder: Path, table: Path) -> Path:
    text = default_card_text().split("[flux]")[0] + (
        f'[flux]\nname = "tabulated"\npath = "{table}"\nenergy_unit = "GeV"\n'
        'content_unit = "per_cm2_per_pot_per_GeV"\n\n[detector]\nname = "miniboone"\n')
    card = folder / "card.toml"
    card.write_text(text)
    return card


def edit_table(table: Path) -> None:
    """Scale the nu_mu column of the first data row by 1.5."""
    lines = table.read_text().splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.strip() and not ln.startswith("#"))
    cols = lines[i].split()
    cols[2] = repr(float(cols[2]) * 1.5)
    lines[i] = " ".join(cols)
    table.write_text("\n".join(lines) + "\n")


# ------------------------------------------------------------------ 1. grids carry no code
class _RunsCode:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_grid_with_a_pickle_payload_and_a_valid_hash_is_refused(fast_grid, tmp_path, capsys):
    import hashlib
    import json

    from zpgen.gridpack import MAGIC

    data = fast_grid.read_bytes()
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC):end])
    marker = tmp_path / "code_ran"
    payload = pickle.dumps(_RunsCode(marker))
    header.update(payload_bytes=len(payload), payload_sha256=hashlib.sha256(payload).hexdigest())
    crafted = tmp_path / "crafted.zpg"
    crafted.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + payload)
    refused(capsys, ["generate", "--grid", str(crafted), "-n", "10", "-o",
                     str(tmp_path / "x.root")], "--grid", "not a NumPy .npz")
    assert not marker.exists() and not (tmp_path / "x.root").exists()


# ------------------------------------------------------------------ 2. input fingerprints
def test_grid_refused_after_its_flux_table_changed(tmp_path, capsys):
    table = tmp_path / "flux.dat"
    shutil.copy(table_path(), table)
    card = tabulated_card(tmp_path, table)
    grid = tmp_path / "grid.zpg"
    assert main(["adapt", str(card), "-o", str(grid), *TINY]) == 0
    out = tmp_path / "a.root"
    assert main(["generate", "--grid", str(grid), "-n", "20", "-q", "-o", str(out)]) == 0
    edit_table(table)
    refused(capsys, ["generate", "--grid", str(grid), "-n", "20", "-q", "-o",
                     str(tmp_path / "b.root")], "flux.path", "has changed since grid")
    assert not (tmp_path / "b.root").exists()


def test_merge_refuses_jobs_made_from_different_flux_contents(tmp_path, capsys):
    table = tmp_path / "flux.dat"
    shutil.copy(table_path(), table)
    card = tabulated_card(tmp_path, table)
    a, b = tmp_path / "a.root", tmp_path / "b.root"
    assert main(["generate", str(card), "-n", "20", "--seed", "1", "-o", str(a), *TINY]) == 0
    edit_table(table)
    assert main(["generate", str(card), "-n", "20", "--seed", "2", "-o", str(b), *TINY]) == 0
    refused(capsys, ["merge", str(tmp_path / "m.root"), str(a), str(b)],
            "input file flux.path differs")
    assert not (tmp_path / "m.root").exists()


# ------------------------------------------------------------------ 3. no destroyed files
@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs")
    paths = []
    for seed in (1, 2, 3):
        path = folder / f"j{seed - 1}.root"
        assert main(["generate", "-n", "30", "--seed", str(seed), "-o", str(path),
                     "--no-detector", *TINY]) == 0
        paths.append(path)
    return paths


def test_merge_with_out_forgotten_does_not_replace_the_first_job(jobs, capsys):
    before = jobs[0].read_bytes()
    refused(capsys, ["merge", *map(str, jobs)], "OUT", "exists", "did you forget OUT")
    assert jobs[0].read_bytes() == before


def test_merge_never_writes_onto_an_input(jobs, capsys):
    before = jobs[1].read_bytes()
    refused(capsys, ["merge", str(jobs[1]), str(jobs[1]), str(jobs[2]), "--overwrite"],
            "never replaced")
    assert jobs[1].read_bytes() == before


def test_export_slha_replaces_only_with_overwrite_and_never_the_card(tmp_path, capsys):
    existing = tmp_path / "param_card.dat"
    existing.write_text("mine")
    refused(capsys, ["export-slha", "-o", str(existing)], "exists", "--overwrite")
    assert existing.read_text() == "mine"
    assert main(["export-slha", "-o", str(existing), "--overwrite"]) == 0
    assert "BLOCK MASS" in existing.read_text()
    capsys.readouterr()
    card = tmp_path / "card.toml"
    card.write_text(default_card_text())
    for argv in (["export-slha", str(card), "-o", str(card), "--overwrite"],
                 ["adapt", str(card), "-o", str(card), "--overwrite"],
                 ["generate", str(card), "-o", str(card), "--format", "root", "--overwrite"]):
        refused(capsys, argv, "is the card this run reads")
    assert card.read_text() == default_card_text()


def test_generate_never_writes_onto_its_grid(fast_grid, capsys):
    before = fast_grid.read_bytes()
    refused(capsys, ["generate", "--grid", str(fast_grid), "-o", str(fast_grid), "--format",
                     "root", "--overwrite", "-n", "10"], "is the grid this run reads")
    assert fast_grid.read_bytes() == before


def test_run_jobs_refuses_a_job_file_in_the_way(fast_grid, tmp_path, capsys):
    mine = tmp_path / "all.job0001.root"
    mine.write_text("someone's file")
    refused(capsys, ["run-jobs", "--grid", str(fast_grid), "-n", "40", "--n-jobs", "2",
                     "--executor", "local", "-o", str(tmp_path / "all.root")],
            "all.job0001.root", "exists")
    assert mine.read_text() == "someone's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.job0001.root"]


# ------------------------------------------------------------------ 4. safe temporaries
@pytest.fixture(scope="module")
def chunks_run_info():
    from zpgen.card import parse_card
    from zpgen.generate import generate_array

    events = generate_array(parse_card(), n_events=200, nitn=1, neval=200, nitn_final=1,
                            detector=False)
    return [events[:100], events[100:]], {"card": "", "channels": ["C12_coherent"]}


def test_planted_symlinks_do_not_redirect_the_write(tmp_path, chunks_run_info):
    from zpgen.writers import writer_for_path

    chunks, run_info = chunks_run_info
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "events.root"
    # the old predictable name, and a guess at a new one
    planted = [tmp_path / f"events.root.part-{os.getpid()}",
               tmp_path / ".events.root.aaaaaaaa.part"]
    for link in planted:
        link.symlink_to(victim)
    with writer_for_path(out) as writer:
        writer.open(out, run_info)
        tmp = writer.tmp_path
        assert tmp is not None and tmp.name.startswith(".events.root.")
        assert not tmp.is_symlink() and (tmp.stat().st_mode & 0o777) == 0o600
        for chunk in chunks:
            writer.write(chunk)
        writer.close({})
    assert victim.read_text() == "precious"
    assert out.is_file() and not out.is_symlink()
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert tempfiles.temporaries_of(out) == planted[1:]  # only the planted look-alike
    assert all(link.is_symlink() for link in planted)


def test_temporaries_are_unpredictable_and_exclusive(tmp_path):
    target = tmp_path / "x.root"
    names = {tempfiles.create_temporary(target) for _ in range(20)}
    assert len(names) == 20 and all(p.exists() for p in names)
    assert sorted(tempfiles.temporaries_of(target)) == sorted(names)


def test_an_output_that_is_a_symlink_is_refused(tmp_path, capsys, chunks_run_info):
    """The CLI refuses it; a writer used directly replaces the link, never its target."""
    from zpgen.writers import writer_for_path

    victim = tmp_path / "victim.root"
    victim.write_text("precious")
    link = tmp_path / "events.root"
    link.symlink_to(victim)
    refused(capsys, ["generate", "-n", "10", "-o", str(link), "--overwrite"],
            "symbolic link")
    assert victim.read_text() == "precious" and link.is_symlink()
    chunks, run_info = chunks_run_info
    with writer_for_path(link) as writer:
        writer.open(link, run_info)
        writer.write(chunks[0])
        writer.close({})
    assert victim.read_text() == "precious"
    assert link.is_file() and not link.is_symlink()


# ------------------------------------------------------------------ 7. one-line refusals
@pytest.mark.parametrize(("content", "needle"), [
    (b"\xff\xfe[run]\n", "not UTF-8"),
    (b"[run]\nseed = 1\n\x00\x01", "binary file"),
])
def test_card_that_is_not_text(tmp_path, capsys, content, needle):
    card = tmp_path / "card.toml"
    card.write_bytes(content)
    refused(capsys, ["widths", str(card)], needle)


def test_card_that_is_a_directory(tmp_path, capsys):
    refused(capsys, ["widths", str(tmp_path)], "is a directory")


@pytest.mark.parametrize(("setting", "needle"), [
    ("model.m5=1e100", "model.m5: must be <= 10"),
    ("model.mzprime=1e100", "model.mzprime: must be <= 10"),
    ("model.couplings.g_45=1e100", "model.couplings.g_45: must be <= 3.5449"),
    ("model.couplings.g_mu5=-1e100", "model.couplings.g_mu5: must be >= -3.5449"),
    ("physics.k_fermi=1e9", "physics.k_fermi: must be <= 1"),
])
def test_values_outside_the_declared_range(capsys, setting, needle):
    refused(capsys, ["widths", "--set", setting], needle)


def test_blsm_without_a_b_minus_l_coupling(tmp_path, capsys):
    text = default_card_text().split("[model.couplings]")[0].replace(
        'kind = "couplings"', 'kind = "blsm"')
    text += ("[model.blsm]\ng_bl = 0.0\ng_tilde = 1e-4\nu_mu5 = 1e-2\nu_45 = 1.0\n"
             "[physics]\n[detector]\nname = \"miniboone\"\n")
    card = tmp_path / "blsm.toml"
    card.write_text(text)
    refused(capsys, ["widths", str(card)], "model.blsm.g_bl: must be non-zero")


def test_one_row_flux_table(tmp_path, capsys):
    """One row in the edges layout is a one-bin box spectrum: accepted, and the rate's flux
    integral is the row's content; in the centres layout a row cannot define a bin."""
    table = tmp_path / "one.dat"
    table.write_text("0.5 1.5 2.0e-10 0 0 0\n")
    card = tabulated_card(tmp_path, table)
    assert main(["rate", str(card), "--json"]) == 0
    import json
    doc = json.loads(capsys.readouterr().out)
    assert doc["flux"]["integral"] == pytest.approx(2.0e-10, rel=1e-15)
    assert 0.0 < doc["total_events"] < np.inf
    card.write_text(card.read_text().replace('energy_unit = "GeV"',
                                             'energy_unit = "GeV"\nlayout = "centres"'))
    table.write_text("1.0 2.0e-10 0 0 0\n")
    refused(capsys, ["rate", str(card)], "flux.path", "at least two rows")


@pytest.mark.parametrize(("argv", "needle"), [
    (["-n", "99999999999999999999"], "--n-events: must be in [1, 1e+15]"),
    (["-n", "1000000000000"], "of disk space"),
    (["-n", "1000000000", "--chunk-size", "1000000000"], "--chunk-size: chunks of"),
])
def test_run_sizes_that_cannot_fit(tmp_path, capsys, argv, needle):
    out = tmp_path / "x.root"
    refused(capsys, ["generate", *argv, "-o", str(out)], needle)
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_directory(tmp_path, capsys):
    folder = tmp_path / "out.root"
    folder.mkdir()
    refused(capsys, ["generate", "-n", "10", "-o", str(folder), "--overwrite"],
            "is a directory")


def test_long_output_names(tmp_path, capsys):
    """250 characters work (the temporary keeps 100 of them); 300 bytes are refused
    before any work (the file system allows 255)."""
    ok = tmp_path / ("e" * 245 + ".root")
    assert main(["generate", "-n", "20", "--no-detector", "-o", str(ok), *TINY]) == 0
    assert ok.is_file() and tempfiles.temporaries_of(ok) == []
    refused(capsys, ["generate", "-n", "20", "-o", str(tmp_path / ("e" * 300 + ".root"))],
            "file name is 305 bytes long")


def test_full_disk_known_before_the_run(tmp_path, capsys, monkeypatch):
    import shutil as sh
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(sh, "disk_usage", lambda _: usage(10**9, 10**9 - 1000, 1000))
    refused(capsys, ["generate", "-n", "100", "-o", str(tmp_path / "x.root")],
            "of disk space", "only")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_met_during_the_run(tmp_path, capsys, monkeypatch):
    from zpgen.writers.root import RootWriter

    real = RootWriter._write
    calls = []

    def full(self, chunk):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, chunk)

    monkeypatch.setattr(RootWriter, "_write", full)
    refused(capsys, ["generate", "-n", "3000", "--chunk-size", "1000", "-o",
                     str(tmp_path / "x.root"), *TINY], "No space left on device")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def bad_files(jobs):
    folder = jobs[0].parent
    fake = folder / "fake.root"
    fake.write_text("not a ROOT file\n")
    truncated = folder / "truncated.root"
    truncated.write_bytes(jobs[0].read_bytes()[:2000])
    return fake, truncated


@pytest.mark.parametrize("which", ["fake", "truncated"])
@pytest.mark.parametrize("command", ["merge", "info", "compare-lhe"])
def test_unreadable_files_to_read_commands(jobs, bad_files, capsys, which, command):
    bad = bad_files[0] if which == "fake" else bad_files[1]
    argv = {"merge": ["merge", str(jobs[0].parent / "m.root"), str(bad), str(jobs[1])],
            "info": ["info", str(bad)],
            "compare-lhe": ["compare-lhe", str(bad), str(jobs[1])]}[command]
    refused(capsys, argv, bad.name)
    assert not (jobs[0].parent / "m.root").exists()


@pytest.mark.parametrize("which", ["fake", "truncated"])
def test_unreadable_files_to_compare(bad_files, miniboone_data, capsys, which):
    """compare refuses both with exit 2 and no traceback; its own message (written in
    zpgen/cli/compare.py) quotes uproot's, which spans three lines."""
    bad = bad_files[0] if which == "fake" else bad_files[1]
    assert main(["compare", str(bad), "--data-release", str(miniboone_data)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("zpgen compare: error:")
    assert f"{bad}: cannot open as a ROOT file" in err


# ------------------------------------------------------------------ 8. beam flavour
@pytest.mark.parametrize("flavour", ["nue", "nuebar"])
@pytest.mark.parametrize("command", ["generate", "rate"])
def test_flavours_the_process_does_not_model(tmp_path, capsys, flavour, command):
    """dark_neutrino models numu and numubar (its CP conjugate) only."""
    argv = [command, "--set", f"flux.flavour={flavour}"]
    if command == "generate":
        argv += ["-n", "10", "-o", str(tmp_path / "x.root")]
    refused(capsys, argv, f"flux.flavour: '{flavour}' is not modelled",
            "numu or numubar beam only", "use flux.flavour = 'numu' or 'numubar'")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("sets", "needles"), [
    (["model.d=0"], ("model.d: must be > 0.0 GeV^-1, got 0.0",)),
    (["model.d=-3e-7"], ("model.d: must be > 0.0 GeV^-1, got -3e-07",)),
    (["model.flavour=tau"], ("model.flavour: unknown value 'tau'", "Valid names: mu, e.")),
    (["flux.flavour=nuebar"], ("flux.flavour: 'nuebar' is not modelled by the dipole_portal",
                               "numu or numubar beam only")),
    (["flux.flavour=nue"], ("flux.flavour: 'nue' is not modelled by the dipole_portal",)),
])
def test_dipole_portal_bad_input(tmp_path, capsys, sets, needles):
    card = Path(__file__).resolve().parents[2] / "examples" / "dipole_portal.toml"
    argv = ["generate", str(card), "-n", "10", "-o", str(tmp_path / "x.root")]
    for s in sets:
        argv += ["--set", s]
    refused(capsys, argv, *needles)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ minor
def test_overflowing_rate_is_not_reported_as_zero(tmp_path, capsys):
    refused(capsys, ["generate", "--set", "detector.pot=1e300", "--set",
                     "flux.name=monochromatic", "--set", "flux.energy=1.0", "--set",
                     "flux.flux=1e100", "-n", "10", "-o", str(tmp_path / "x.root"), *TINY],
            "overflows")


def test_set_value_with_a_newline(capsys):
    refused(capsys, ["widths", "--set", "model.mzprime=0.02\n[run]"], "control character")


def test_format_contradicting_the_suffix(tmp_path, capsys):
    refused(capsys, ["generate", "-n", "10", "-o", str(tmp_path / "x.root"), "--format",
                     "lhe"], "--format lhe: contradicts the suffix")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the catalogue is whole
def test_cases_tested_in_other_modules_exist():
    """Signals and kinematic edges are tested where they belong; the catalogue points
    there, and this test fails if those tests are renamed or removed."""
    import importlib

    for module, name in [
        ("tests.zpgen.test_signals", "test_generate_stops_cleanly"),
        ("tests.zpgen.test_signals", "test_run_jobs_stops_its_workers_and_cleans_up"),
        ("tests.zpgen.test_gridpack", "test_crafted_grids_are_refused_without_running_code"),
        ("tests.processes.test_widths_edges",
         "test_cli_widths_rate_and_generate_run_on_each_edge"),
        ("tests.processes.test_widths_edges",
         "test_widths_and_visible_br_are_continuous_through_m5_minus_m4"),
    ]:
        assert callable(getattr(importlib.import_module(module), name)), (module, name)
