"""Typed access to the add-on's PropertyGroups: `Scene.grc` and `Object.grc`.

props.register() adds `grc` to bpy.types.Scene and bpy.types.Object at run time, so the
type stubs (fake-bpy-module) do not know the attribute and `scene.grc` fails type checking.
Read them through these functions instead: they return the PropertyGroup typed as the
class that props.py declares. At run time they are a plain attribute read.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import bpy

    from .props import GRCMeshSettings, GRCModelSettings, GRCObjectSettings, GRCSceneSettings


def scene_settings(scene: bpy.types.Scene) -> GRCSceneSettings:
    """`scene.grc` (the scene's templates, training settings and state, model)."""
    # Registered dynamically by props.register(): unknown to the stubs, hence getattr + cast.
    return cast("GRCSceneSettings", getattr(scene, "grc"))


def object_settings(obj: bpy.types.Object) -> GRCObjectSettings:
    """`obj.grc` (petal flag, context, time, offset, rows...)."""
    # Registered dynamically by props.register(): unknown to the stubs, hence getattr + cast.
    return cast("GRCObjectSettings", getattr(obj, "grc"))


def mesh_settings(mesh: bpy.types.Mesh) -> GRCMeshSettings:
    """`mesh.grc` (whether the extension generated this mesh)."""
    return cast("GRCMeshSettings", getattr(mesh, "grc"))


def is_petal(obj: bpy.types.Object | None) -> bool:
    """A live petal: a mesh object whose Object.grc.is_petal is on (the one test of it)."""
    return obj is not None and obj.type == 'MESH' and object_settings(obj).is_petal


def is_flower_object(obj: bpy.types.Object | None) -> bool:
    """A one-object flower: a mesh object whose Object.grc.is_flower is on (its mesh holds
    its petals). A flower root Empty of the previous version is not one."""
    return obj is not None and obj.type == 'MESH' and object_settings(obj).is_flower


def model_settings(model: bpy.types.Text) -> GRCModelSettings:
    """`text.grc_model`: one model's templates, settings, state and weights."""
    return cast("GRCModelSettings", getattr(model, "grc_model"))


def active_model_settings(scene: bpy.types.Scene) -> GRCModelSettings | None:
    """The settings of the scene's active model (None: the scene's list is empty, or its
    active entry lost its model)."""
    g = scene_settings(scene)
    if not len(g.models):
        return None
    model = g.models[min(max(g.active_model_index, 0), len(g.models) - 1)].model
    return None if model is None else model_settings(model)
