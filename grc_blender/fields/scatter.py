"""Scatter Flowers: a Geometry Nodes modifier on a surface that distributes points (by
density, or by a count turned into a density over the surface's area), each an instance of
one variant of a flower (variants.py) picked by index, rotated to the normal (or not) and
at random around it, at a random scale; the surface itself is kept, joined under its
flowers. The node tree is built with the node API and is the artist's to open and edit;
its inputs are the modifier's (Density, Seed, Scale Min/Max, Random Rotation, Align to
Normal, Density Factor and Wave: vertex groups through the modifier's attribute toggle).

The bloom that travels: per point a wave value w in [0, 1] (a vertex group, a noise
texture, or the distance to an object over Wave Length) picks variant round(w * (n - 1)),
the one whose delay is w of the spread: an animated Bloom opens the field in a wave. With
no wave the variant is random per point."""
from __future__ import annotations

import math
from typing import Any

import bpy

from ..util.modifier_inputs import set_input, use_attribute
from ...model_core import GRCError
from ..access import is_flower_object
from . import variants

WAVES = ('NONE', 'VERTEX_GROUP', 'TEXTURE', 'OBJECT')


def surface_area(obj) -> float:
    """The surface's area in its own space (where Distribute Points on Faces measures)."""
    return float(sum(p.area for p in obj.data.polygons))


def scatter_flowers(scene, surface, flower, density: float = 10.0, count: int = 0,
                    seed: int = 0, n_variants: int = 8, spread: float = 12.0,
                    vertex_group: str = "", rotation: float = 1.0, scale_min: float = 0.8,
                    scale_max: float = 1.2, align: bool = True, wave: str = 'NONE',
                    wave_group: str = "", wave_object=None, wave_length: float = 10.0,
                    wave_scale: float = 0.3) -> bpy.types.NodesModifier:
    """Scatter live variants of `flower` on `surface` (see the module). `count` > 0
    overrides `density`. Returns the modifier."""
    if surface is None or surface.type != 'MESH' or is_flower_object(surface):
        raise GRCError("Select the mesh to scatter on, then the flower (active)")
    if wave not in WAVES:
        raise GRCError(f"wave: one of {', '.join(WAVES)}")
    if wave == 'OBJECT' and wave_object is None:
        raise GRCError("A wave from an object needs the object")
    if wave == 'VERTEX_GROUP' and wave_group not in surface.vertex_groups:
        raise GRCError(f"'{surface.name}' has no vertex group '{wave_group}'")
    if vertex_group and vertex_group not in surface.vertex_groups:
        raise GRCError(f"'{surface.name}' has no vertex group '{vertex_group}'")
    area = surface_area(surface)
    if count > 0:
        if area <= 0.0:
            raise GRCError(f"'{surface.name}' has no area to scatter on")
        density = count / area
    coll = variants.make_variants(scene, flower, n_variants, spread, seed)
    tree: Any = build_tree(f"GRC Scatter ({flower.name})", wave)
    mod = surface.modifiers.new("GRC Scatter", 'NODES')
    assert isinstance(mod, bpy.types.NodesModifier)
    mod.node_group = tree
    values = {"Variants": coll, "Variant Count": n_variants, "Density": density,
              "Seed": seed, "Random Rotation": rotation, "Scale Min": scale_min,
              "Scale Max": scale_max, "Align to Normal": align, "Wave Object": wave_object,
              "Wave Length": wave_length, "Wave Scale": wave_scale}
    for item in tree.interface.items_tree:
        if item.item_type == 'SOCKET' and item.in_out == 'INPUT' and item.name in values \
                and values[item.name] is not None:
            set_input(mod, item.identifier, values[item.name])
    _use_attribute(mod, tree, "Density Factor", vertex_group)
    _use_attribute(mod, tree, "Wave", wave_group if wave == 'VERTEX_GROUP' else "")
    surface.update_tag()
    return mod


def _use_attribute(mod, tree: Any, name: str, attribute: str) -> None:
    item = next((i for i in tree.interface.items_tree if i.item_type == 'SOCKET'
                 and i.in_out == 'INPUT' and i.name == name), None)
    if item is not None and attribute:
        use_attribute(mod, item.identifier, attribute)


def _inputs(tree) -> None:
    new = tree.interface.new_socket
    new("Geometry", in_out='INPUT', socket_type='NodeSocketGeometry')
    new("Geometry", in_out='OUTPUT', socket_type='NodeSocketGeometry')
    new("Variants", in_out='INPUT', socket_type='NodeSocketCollection')
    new("Variant Count", in_out='INPUT', socket_type='NodeSocketInt').default_value = 8
    new("Density", in_out='INPUT', socket_type='NodeSocketFloat').default_value = 10.0
    new("Density Factor", in_out='INPUT', socket_type='NodeSocketFloat').default_value = 1.0
    new("Seed", in_out='INPUT', socket_type='NodeSocketInt')
    new("Random Rotation", in_out='INPUT', socket_type='NodeSocketFloat').default_value = 1.0
    new("Scale Min", in_out='INPUT', socket_type='NodeSocketFloat').default_value = 0.8
    new("Scale Max", in_out='INPUT', socket_type='NodeSocketFloat').default_value = 1.2
    new("Align to Normal", in_out='INPUT', socket_type='NodeSocketBool').default_value = True
    new("Wave", in_out='INPUT', socket_type='NodeSocketFloat')
    new("Wave Object", in_out='INPUT', socket_type='NodeSocketObject')
    new("Wave Length", in_out='INPUT', socket_type='NodeSocketFloat').default_value = 10.0
    new("Wave Scale", in_out='INPUT', socket_type='NodeSocketFloat').default_value = 0.3


def build_tree(name: str, wave: str = 'NONE') -> Any:
    """The scatter's node tree (see the module); `wave` chooses how each point's variant
    is picked."""
    tree: Any = bpy.data.node_groups.new(name, 'GeometryNodeTree')
    _inputs(tree)
    n, link = tree.nodes, tree.links.new
    gin, gout = n.new('NodeGroupInput'), n.new('NodeGroupOutput')
    gin.location, gout.location = (-900, 0), (700, 0)
    dist = n.new('GeometryNodeDistributePointsOnFaces')
    dist.location = (-600, 200)
    link(_math(tree, 'MULTIPLY', gin.outputs["Density"], gin.outputs["Density Factor"]),
         dist.inputs["Density"])                     # a field: the vertex group scales it
    link(gin.outputs["Seed"], dist.inputs["Seed"])
    link(gin.outputs["Geometry"], dist.inputs["Mesh"])
    info = n.new('GeometryNodeCollectionInfo')
    info.location = (-300, 400)
    info.inputs["Separate Children"].default_value = True
    info.inputs["Reset Children"].default_value = True
    link(gin.outputs["Variants"], info.inputs["Collection"])
    inst = n.new('GeometryNodeInstanceOnPoints')
    inst.location = (400, 100)
    link(dist.outputs["Points"], inst.inputs["Points"])
    link(info.outputs["Instances"], inst.inputs["Instance"])
    inst.inputs["Pick Instance"].default_value = True
    link(_index(tree, gin, wave), inst.inputs["Instance Index"])
    link(_rotation(tree, gin, dist), inst.inputs["Rotation"])
    scale = _random(tree, 'FLOAT', 7)
    link(gin.outputs["Scale Min"], _sock(scale.inputs, "Min_001"))
    link(gin.outputs["Scale Max"], _sock(scale.inputs, "Max_001"))
    link(gin.outputs["Seed"], scale.inputs["Seed"])
    link(_sock(scale.outputs, "Value_001"), inst.inputs["Scale"])
    join = n.new('GeometryNodeJoinGeometry')        # the surface stays, under its flowers
    join.location = (550, 0)
    link(inst.outputs["Instances"], join.inputs[0])
    link(gin.outputs["Geometry"], join.inputs[0])
    link(join.outputs[0], gout.inputs["Geometry"])
    return tree


def _sock(sockets, identifier: str):
    """A socket by identifier (Random Value has several named Min, Max, Value, one per data
    type, in 4.2 - 5.0); from 5.3 the node keeps only its data type's sockets, under other
    identifiers: then the enabled one with the identifier's name."""
    exact = [s for s in sockets if s.identifier == identifier and getattr(s, "enabled", True)]
    if exact:
        return exact[0]
    name = identifier.split("_")[0]
    return next(s for s in sockets if s.name == name and getattr(s, "enabled", True))


def _random(tree, data_type: str, salt: int):
    node = tree.nodes.new('FunctionNodeRandomValue')
    node.data_type = data_type
    node.location = (0, -200 - 40 * salt)
    node.label = f"Random ({salt})"
    return node


def _math(tree, op: str, a, b=None):
    node = tree.nodes.new('ShaderNodeMath')
    node.operation = op
    tree.links.new(a, node.inputs[0])
    if b is not None:
        if isinstance(b, (int, float)):
            node.inputs[1].default_value = b
        else:
            tree.links.new(b, node.inputs[1])
    return node.outputs[0]


def _rotation(tree, gin, dist):
    """Aligned to the normal (or upright), turned at random around it."""
    n, link = tree.nodes, tree.links.new
    switch = n.new('GeometryNodeSwitch')
    switch.input_type = 'ROTATION'
    link(gin.outputs["Align to Normal"], switch.inputs["Switch"])
    link(dist.outputs["Rotation"], switch.inputs["True"])
    turn = _random(tree, 'FLOAT', 3)
    _sock(turn.inputs, "Min_001").default_value = 0.0
    link(gin.outputs["Random Rotation"], _sock(turn.inputs, "Max_001"))
    link(_math(tree, 'ADD', gin.outputs["Seed"], 3), turn.inputs["Seed"])
    axis = n.new('FunctionNodeAxisAngleToRotation')
    axis.inputs["Axis"].default_value = (0.0, 0.0, 1.0)
    angle = _math(tree, 'MULTIPLY', _sock(turn.outputs, "Value_001"), 2.0 * math.pi)
    link(angle, axis.inputs["Angle"])
    rot = n.new('FunctionNodeRotateRotation')
    rot.rotation_space = 'LOCAL'
    link(switch.outputs["Output"], rot.inputs["Rotation"])
    link(axis.outputs["Rotation"], rot.inputs["Rotate By"])
    return rot.outputs["Rotation"]


def _index(tree, gin, wave: str):
    """Each point's variant: random, or round(w * (n - 1)) of the wave value w."""
    n, link = tree.nodes, tree.links.new
    last = _math(tree, 'SUBTRACT', gin.outputs["Variant Count"], 1.0)
    if wave == 'NONE':
        pick = _random(tree, 'INT', 5)
        _sock(pick.inputs, "Min_002").default_value = 0
        link(last, _sock(pick.inputs, "Max_002"))
        link(_math(tree, 'ADD', gin.outputs["Seed"], 5), pick.inputs["Seed"])
        return _sock(pick.outputs, "Value_002")
    if wave == 'VERTEX_GROUP':
        w = gin.outputs["Wave"]
    elif wave == 'TEXTURE':
        noise = n.new('ShaderNodeTexNoise')
        link(gin.outputs["Wave Scale"], noise.inputs["Scale"])
        w = _math(tree, 'MULTIPLY_ADD', noise.outputs["Fac"], 2.0)
        w.node.inputs[2].default_value = -0.5            # noise ~0.25..0.75 -> 0..1
    else:
        obj = n.new('GeometryNodeObjectInfo')
        obj.transform_space = 'RELATIVE'
        link(gin.outputs["Wave Object"], obj.inputs["Object"])
        dist = n.new('ShaderNodeVectorMath')
        dist.operation = 'DISTANCE'
        link(n.new('GeometryNodeInputPosition').outputs[0], dist.inputs[0])
        link(obj.outputs["Location"], dist.inputs[1])
        w = _math(tree, 'DIVIDE', dist.outputs["Value"], gin.outputs["Wave Length"])
    w = _math(tree, 'MINIMUM', _math(tree, 'MAXIMUM', w, 0.0), 1.0)
    return _math(tree, 'ROUND', _math(tree, 'MULTIPLY', w, last))
