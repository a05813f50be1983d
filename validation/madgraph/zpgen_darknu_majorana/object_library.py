"""Minimal UFO object library for the zpgen dark-Z' model.

Written for zpgen from the public description of the Universal FeynRules Output (UFO)
format (Degrande et al., Comput. Phys. Commun. 183 (2012) 1201; UFO 2.0, Darme et al.,
Comput. Phys. Commun. 290 (2023) 108794): a model is a Python package whose modules define
instances of Particle, Parameter, Coupling, Lorentz, Vertex, CouplingOrder and Function, each
registered in a module-level ``all_*`` list.  Only what this model uses is implemented.
"""

from __future__ import annotations

all_particles: list = []
all_parameters: list = []
all_couplings: list = []
all_lorentz: list = []
all_vertices: list = []
all_orders: list = []
all_functions: list = []
all_decays: list = []
all_form_factors: list = []


class UFOBaseClass:
    """Positional ``require_args`` become attributes; keyword options too."""

    require_args: tuple[str, ...] = ()

    def __init__(self, *args, **options):
        if len(args) != len(self.require_args):
            raise TypeError(f"{type(self).__name__} needs {self.require_args}, got {args!r}")
        for name, value in zip(self.require_args, args, strict=True):
            setattr(self, name, value)
        for name, value in options.items():
            setattr(self, name, value)

    def get(self, name):
        return getattr(self, name)

    def set(self, name, value):
        setattr(self, name, value)

    def get_all(self):
        return dict(self.__dict__)

    def __str__(self):
        return str(getattr(self, "name", type(self).__name__))

    def __repr__(self):
        return f"<{type(self).__name__} {self}>"


class Particle(UFOBaseClass):
    """A particle; ``spin`` is 2S+1 (1 scalar, 2 fermion, 3 vector), ``color`` 1/3/8."""

    require_args = ("pdg_code", "name", "antiname", "spin", "color", "mass", "width",
                    "texname", "antitexname", "charge")

    def __init__(self, pdg_code, name, antiname, spin, color, mass, width, texname,
                 antitexname, charge, line=None, propagating=True, goldstone=False,
                 propagator=None, **options):
        super().__init__(pdg_code, name, antiname, spin, color, mass, width, texname,
                         antitexname, charge, **options)
        self.propagating = propagating
        self.goldstone = goldstone
        self.propagator = propagator
        self.selfconjugate = name == antiname
        if line is None:
            line = {1: "dashed", 2: "straight", 3: "wavy"}.get(spin, "straight")
        self.line = line
        all_particles.append(self)

    def anti(self):
        """The antiparticle (a new Particle with conjugated charges), or self."""
        if self.selfconjugate:
            raise ValueError(f"{self.name} is its own antiparticle")
        skip = {"pdg_code", "name", "antiname", "texname", "antitexname", "charge", "line",
                "propagating", "goldstone", "propagator", "selfconjugate", "spin", "color",
                "mass", "width"}
        extra = {k: -v for k, v in self.__dict__.items()
                 if k not in skip and isinstance(v, int | float)}
        color = -self.color if self.color in (3, 6) else self.color
        return Particle(-self.pdg_code, self.antiname, self.name, self.spin, color, self.mass,
                        self.width, self.antitexname, self.texname, -self.charge,
                        line=self.line, propagating=self.propagating,
                        goldstone=self.goldstone, propagator=self.propagator, **extra)


class Parameter(UFOBaseClass):
    """``nature`` external (read from the param_card at lhablock/lhacode) or internal."""

    require_args = ("name", "nature", "type", "value", "texname")

    def __init__(self, name, nature, type, value, texname, lhablock=None, lhacode=None):
        super().__init__(name, nature, type, value, texname)
        if nature == "external":
            if lhablock is None or lhacode is None:
                raise ValueError(f"external parameter {name} needs lhablock and lhacode")
            self.lhablock = lhablock
            self.lhacode = list(lhacode)
        all_parameters.append(self)


class Coupling(UFOBaseClass):
    """A vertex coupling: ``value`` is a Python expression in the parameters."""

    require_args = ("name", "value", "order")

    def __init__(self, name, value, order, **options):
        super().__init__(name, value, order, **options)
        all_couplings.append(self)


class Lorentz(UFOBaseClass):
    """A Lorentz structure in UFO/ALOHA notation (Gamma, ProjM, ProjP, Sigma, P, ...)."""

    require_args = ("name", "spins", "structure")

    def __init__(self, name, spins, structure="external", **options):
        super().__init__(name, spins, structure, **options)
        all_lorentz.append(self)


class Vertex(UFOBaseClass):
    """``couplings`` maps (colour index, Lorentz index) to a Coupling."""

    require_args = ("name", "particles", "color", "lorentz", "couplings")

    def __init__(self, name, particles, color, lorentz, couplings, **options):
        super().__init__(name, particles, color, lorentz, couplings, **options)
        all_vertices.append(self)


class CouplingOrder(UFOBaseClass):
    require_args = ("name", "expansion_order", "hierarchy")

    def __init__(self, name, expansion_order, hierarchy, perturbative_expansion=0):
        super().__init__(name, expansion_order, hierarchy)
        self.perturbative_expansion = perturbative_expansion
        all_orders.append(self)


class Function:
    """A named function usable in parameter and coupling expressions."""

    def __init__(self, name, arguments, expression):
        self.name = name
        self.arguments = tuple(arguments)
        self.expr = expression
        all_functions.append(self)

    def __call__(self, *args):
        import cmath

        scope = dict(zip(self.arguments, args, strict=True))
        return eval(self.expr, {"cmath": cmath}, scope)
