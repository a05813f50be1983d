"""zpgen_darknu: UFO model of zpgen's simplified-coupling dark-Z' / sterile-neutrino model.

Copy it to MadGraph's models/ directory and ``import model zpgen_darknu`` (../README.md;
importing it from the repository would make MadGraph write py3_model.pkl here).  Z' (zp,
32), Dirac nu4 (n4, 9900012) and nu5 (n5, 9900014), massive e and mu, three light
neutrinos and the proton as an elementary Dirac fermion (prot, 2212).
../zpgen_darknu_majorana is the Majorana variant.
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
