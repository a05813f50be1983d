"""physics.nucleon_form_factor in the cross-section kernels, against independent
calculations (explicit Dirac spinors of tests/processes/dirac.py)."""

from __future__ import annotations

import numpy as np
import pytest
from zpgen.processes import form_factors as ff
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings

from tests.processes.test_xsec import lab_kinematics, spinor_msq_nucleon
from zpgen import constants
from zpgen.card import parse_card

RNG = np.random.default_rng(6)


def _params(channel, *overrides):
    card = parse_card(None, list(overrides))
    pc = physical_couplings(card.model)
    return pc, xsec.channel_params(channel, pc, card.physics)


def test_layout_appends_slots():
    assert xsec.N_PARAMS == 20
    assert (xsec.I_NUCLEON_FF, xsec.I_T_FF) == (18, 19)
    _, p = _params("H1_proton")
    assert p.shape == (xsec.N_PARAMS,)
    assert p[xsec.I_NUCLEON_FF] == 0.0


@pytest.mark.parametrize("trial", range(4))
def test_point_proton_matches_spinor_calculation(trial):
    """F1 = g_p, F2 = 0: the |M|^2 of an elementary Dirac proton with vector coupling g_p."""
    pc, p = _params("H1_proton", "physics.nucleon_form_factor=point",
                    f"model.couplings.g_p={RNG.uniform(0.5e-3, 2e-3)}")
    M = constants.M_P
    E_nu = xsec.threshold(M, pc.m5) + RNG.uniform(0.01, 2.0)
    t_min, t_max = xsec.t_range(E_nu, M, pc.m5)
    t = RNG.uniform(t_min, t_max)
    k1, k, k2, kp = lab_kinematics(E_nu, t, M, pc.m5, RNG.uniform(0, 2 * np.pi))
    expected = spinor_msq_nucleon(k1, k, k2, kp, M, pc.m5, pc.mzprime, pc.g_mu5, pc.g_p, 0.0)
    assert xsec.msq(E_nu, t, p) == pytest.approx(expected, rel=1e-9)


def test_point_neutron_and_paper_mode_use_the_charge():
    pc, p = _params("C12_neutron", "physics.nucleon_form_factor=point",
                    "physics.nucleon_model=free", "model.couplings.g_n=3e-4")
    E_nu, t = 0.8, -0.05
    M = constants.M_N
    want = xsec.msq_nucleon(E_nu, t, M, pc.m5, pc.mzprime, pc.g_mu5, 3e-4, 0.0)
    assert xsec.msq(E_nu, t, p) == pytest.approx(want, rel=1e-12)
    pc, p = _params("C12_proton", "physics.nucleon_form_factor=point",
                    "physics.nucleon_model=paper")
    want = xsec.msq_nucleon(E_nu, t, constants.M_P, pc.m5, pc.mzprime, pc.g_mu5, pc.g_p, 0.0)
    assert xsec.msq(E_nu, t, p) == pytest.approx(want, rel=1e-12)


def test_frozen_uses_form_factors_at_plus_mzprime_squared():
    pc, p = _params("H1_proton", "physics.nucleon_form_factor=frozen",
                    "model.couplings.g_n=0.4e-3")
    M = constants.M_P
    t_fix = pc.mzprime**2
    assert p[xsec.I_T_FF] == pytest.approx(t_fix)
    fe1, fe2 = ff.nucleon_em_f1_f2(t_fix, M, True)
    fb1, fb2 = ff.isoscalar_f1_f2(t_fix, M, constants.KAPPA_S)
    F1 = (pc.g_p - pc.g_n) * fe1 + pc.g_n * fb1
    F2 = (pc.g_p - pc.g_n) * fe2 + pc.g_n * fb2
    for t in (-0.002, -0.05, -0.3):
        E_nu = 1.0
        k1, k, k2, kp = lab_kinematics(E_nu, t, M, pc.m5, 0.3)
        expected = spinor_msq_nucleon(k1, k, k2, kp, M, pc.m5, pc.mzprime, pc.g_mu5, F1, F2)
        assert xsec.msq(E_nu, t, p) == pytest.approx(expected, rel=1e-9)


def test_frozen_is_close_to_full_at_tiny_t_but_not_at_large_t():
    _, full = _params("H1_proton")
    _, frozen = _params("H1_proton", "physics.nucleon_form_factor=frozen")
    E_nu = 1.0
    assert xsec.msq(E_nu, -1e-5, frozen) == pytest.approx(xsec.msq(E_nu, -1e-5, full), rel=1e-2)
    assert xsec.msq(E_nu, -0.5, frozen) > 2.0 * xsec.msq(E_nu, -0.5, full)


def test_coherent_spin0_and_pauli_are_untouched():
    for channel in ("C12_coherent", "C12_proton"):
        _, full = _params(channel)
        _, point = _params(channel, "physics.nucleon_form_factor=point")
        same = [i for i in range(xsec.N_PARAMS) if i not in (xsec.I_NUCLEON_FF,)]
        assert np.array_equal(full[same], point[same])
    _, full = _params("C12_coherent")
    _, point = _params("C12_coherent", "physics.nucleon_form_factor=point")
    assert xsec.sigma(0.7, full) == xsec.sigma(0.7, point)
    _, p = _params("C12_proton", "physics.nucleon_form_factor=point")
    assert p[xsec.I_PAULI] == 1.0


def test_default_behaviour_unchanged():
    """The default 'full' gives exactly the previous kernel: F(t) at the event's t."""
    pc, p = _params("C12_neutron", "physics.nucleon_model=free")
    E_nu, t = 0.9, -0.1
    M = constants.M_N
    fe1, fe2 = ff.nucleon_em_f1_f2(t, M, False)
    fb1, fb2 = ff.isoscalar_f1_f2(t, M, constants.KAPPA_S)
    F1 = (pc.g_p - pc.g_n) * fe1 + pc.g_n * fb1
    F2 = (pc.g_p - pc.g_n) * fe2 + pc.g_n * fb2
    want = xsec.msq_nucleon(E_nu, t, M, pc.m5, pc.mzprime, pc.g_mu5, F1, F2)
    assert xsec.msq(E_nu, t, p) == pytest.approx(want, rel=1e-12)
