"""Select only the given objects in a view layer, the first one active (what a new
template, petal, flower or error preview leaves selected)."""
from __future__ import annotations


def select_only(view_layer, objects) -> None:
    objects = list(objects)
    for obj in view_layer.objects:
        obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    if objects:
        view_layer.objects.active = objects[0]
