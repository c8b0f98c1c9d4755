"""A Geometry Nodes modifier's inputs on every Blender: ID properties on the modifier up to
5.1 (`mod["Socket_0"]`, `mod["Socket_0_use_attribute"]`), RNA structs from 5.2
(`mod.properties.inputs.Socket_0.value`, `.type`, `.attribute_name`)."""
from __future__ import annotations

from typing import Any


def _rna_input(mod: Any, identifier: str) -> Any:
    inputs = getattr(getattr(mod, "properties", None), "inputs", None)
    return None if inputs is None else getattr(inputs, identifier, None)


def get_input(mod: Any, identifier: str) -> Any:
    rna = _rna_input(mod, identifier)
    return rna.value if rna is not None else mod.get(identifier)


def set_input(mod: Any, identifier: str, value: Any) -> None:
    rna = _rna_input(mod, identifier)
    if rna is not None:
        rna.value = value
    else:
        mod[identifier] = value


def use_attribute(mod: Any, identifier: str, attribute: str) -> None:
    """Feed the input from the named attribute (a vertex group) instead of its value."""
    rna = _rna_input(mod, identifier)
    if rna is not None:
        rna.type = 'ATTRIBUTE'
        rna.attribute_name = attribute
    else:
        mod[identifier + "_use_attribute"] = True
        mod[identifier + "_attribute_name"] = attribute
