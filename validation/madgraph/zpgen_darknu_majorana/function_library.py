"""Functions the UFO expressions may use (complex conjugate, real and imaginary parts)."""

from __future__ import annotations

from .object_library import Function

complexconjugate = Function(name="complexconjugate", arguments=("z",),
                            expression="z.conjugate()")
re = Function(name="re", arguments=("z",), expression="z.real")
im = Function(name="im", arguments=("z",), expression="z.imag")
