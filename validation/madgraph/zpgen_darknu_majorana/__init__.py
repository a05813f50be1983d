"""zpgen_darknu_majorana: the Majorana variant of the zpgen_darknu UFO model.

Copy it to MadGraph's models/ directory and ``import model zpgen_darknu_majorana``
(../README.md).  Z' (zp, 32), Majorana nu4 (n4, 9900012) and nu5 (n5, 9900014), massive
e and mu, three light neutrinos and the proton as an elementary Dirac fermion (prot, 2212).
Only particles.py, couplings.py, vertices.py and this file differ from zpgen_darknu.
"""

from . import (
           coupling_orders,
           couplings,
           function_library,
           lorentz,
           object_library,
           parameters,
           particles,
           vertices,
           write_param_card,
)

all_particles = object_library.all_particles
all_vertices = object_library.all_vertices
all_couplings = object_library.all_couplings
all_lorentz = object_library.all_lorentz
all_parameters = object_library.all_parameters
all_orders = object_library.all_orders
all_functions = object_library.all_functions
all_decays = object_library.all_decays
all_form_factors = object_library.all_form_factors

gauge = [0]
__author__ = "zpgen developers"
__version__ = "1.0"
__date__ = "2025"

__all__ = ["coupling_orders", "couplings", "function_library", "lorentz", "parameters",
           "particles", "vertices", "write_param_card"]
