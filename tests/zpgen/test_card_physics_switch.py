"""physics.nucleon_form_factor: card field, metadata and validation."""

from __future__ import annotations

from dataclasses import fields

import pytest

from processes.model_card import PhysicsConfig
from zpgen.card import CardError, explain, parse_card


def test_default_is_full_form_factors():
    assert parse_card().physics.nucleon_form_factor == "full"


@pytest.mark.parametrize("value", ["full", "point", "frozen"])
def test_each_choice_is_accepted(value):
    card = parse_card(None, [f"physics.nucleon_form_factor={value}"])
    assert card.physics.nucleon_form_factor == value


def test_metadata_declares_choices_and_doc():
    f = {f.name: f for f in fields(PhysicsConfig)}["nucleon_form_factor"]
    assert f.metadata["choices"] == ("full", "point", "frozen")
    assert "M_Z'^2" in f.metadata["doc"]
    assert "physics.nucleon_form_factor" in explain()


def test_bad_value_names_the_field_and_suggests():
    with pytest.raises(CardError) as err:
        parse_card(None, ["physics.nucleon_form_factor='frozn'"])
    msg = str(err.value)
    assert msg.startswith("physics.nucleon_form_factor")
    assert "did you mean 'frozen'" in msg


# physics.visible_modes ------------------------------------------------------------------
def test_visible_modes_default_choices_and_doc():
    assert parse_card().physics.visible_modes == "all"
    for value in ("all", "nu4"):
        assert parse_card(None, [f"physics.visible_modes={value}"]).physics.visible_modes \
            == value
    f = {f.name: f for f in fields(PhysicsConfig)}["visible_modes"]
    assert f.metadata["choices"] == ("all", "nu4")
    assert "nu_light" in f.metadata["doc"]
    assert "physics.visible_modes" in explain()
    with pytest.raises(CardError) as err:
        parse_card(None, ["physics.visible_modes=nu5"])
    assert str(err.value).startswith("physics.visible_modes")
