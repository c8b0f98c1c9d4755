"""Field operators: grc.scatter_flowers (issue 20)."""
from __future__ import annotations

import bpy

from ..grc_blender import api
from ..grc_blender.access import is_flower_object
from ..grc_blender.util.i18n import tip
from ..model_core import GRCError
from . import polls

_WAVES = [('NONE', "Random", "Each flower a random variant (its own seed, delay, context)"),
          ('VERTEX_GROUP', "Vertex Group", "Bloom follows a vertex group: 0 opens first"),
          ('TEXTURE', "Texture", "Bloom follows a noise texture (edit it in the node tree)"),
          ('OBJECT', "Distance to Object", "Bloom travels away from an object, a wave")]


def _surface(context):
    return next((o for o in context.selected_objects if o is not context.active_object
                 and o.type == 'MESH' and not is_flower_object(o)), None)


class GRC_OT_scatter_flowers(bpy.types.Operator):
    """Scatter the active flower on the other selected mesh with a Geometry Nodes modifier
    you can open and edit: live variants of the flower (seeds, delays, context offsets)
    in a hidden collection are instanced on its faces, so each frame costs the variants,
    not the instances"""
    bl_idname = "grc.scatter_flowers"
    bl_label = "Scatter Flowers"
    bl_options = {'REGISTER', 'UNDO'}

    density: bpy.props.FloatProperty(name="Density", default=10.0, min=0.0, soft_max=1000.0,
                                     description="Flowers per square unit")
    count: bpy.props.IntProperty(name="Count", default=0, min=0, max=10_000_000,
                                 description="Number of flowers (0: use the density)")
    seed: bpy.props.IntProperty(name="Random Seed", default=0, min=0,
                                description="Where the flowers fall, and the variants' "
                                            "layouts and offsets")
    variants: bpy.props.IntProperty(name="Variants", default=8, min=1, max=64,
                                    description="Live variants of the flower")
    spread: bpy.props.FloatProperty(name="Delay Spread", default=12.0, min=0.0,
                                    description="The last variant blooms this many frames "
                                                "after the first")
    vertex_group: bpy.props.StringProperty(name="Density Group", default="",
                                           description="Vertex group scaling the density")
    rotation: bpy.props.FloatProperty(name="Random Rotation", default=1.0, min=0.0, max=1.0,
                                      subtype='FACTOR',
                                      description="Random turn around the normal")
    scale_min: bpy.props.FloatProperty(name="Scale Min", default=0.8, min=0.0,
                                       description="The smallest flower's scale")
    scale_max: bpy.props.FloatProperty(name="Scale Max", default=1.2, min=0.0,
                                       description="The largest flower's scale")
    align: bpy.props.BoolProperty(name="Align to Normal", default=True,
                                  description="Stand each flower on the surface's normal "
                                              "(off: upright)")
    wave: bpy.props.EnumProperty(name="Bloom Wave", items=_WAVES, default='NONE',
                                 description="What the bloom timing of each flower follows")
    wave_group: bpy.props.StringProperty(name="Wave Group", default="",
                                         description="Vertex group of the wave: where it "
                                                     "is 0 the flowers open first")
    wave_object: bpy.props.StringProperty(name="Wave Object", default="",
                                          description="The object the wave starts from")
    wave_length: bpy.props.FloatProperty(name="Wave Length", default=10.0, min=1e-3,
                                         description="Distance over which the wave goes "
                                                     "from the first variant to the last")

    @classmethod
    def poll(cls, context):
        if not (polls.has_scene(cls, context) and polls.object_mode(cls, context)):
            return False
        if not is_flower_object(context.active_object):
            return polls.refuse(cls, "Make a flower active (Add Flower makes one)")
        if _surface(context) is None:
            return polls.refuse(cls, "Select the mesh to scatter on, then the flower")
        return True

    def execute(self, context):
        surface = _surface(context)
        try:
            mod = api.scatter_flowers(
                context.scene, surface, context.active_object,
                density=self.density, count=self.count, seed=self.seed,
                n_variants=self.variants, spread=self.spread, vertex_group=self.vertex_group,
                rotation=self.rotation, scale_min=self.scale_min, scale_max=self.scale_max,
                align=self.align, wave=self.wave, wave_group=self.wave_group,
                wave_object=bpy.data.objects.get(self.wave_object) if self.wave_object
                else None, wave_length=self.wave_length)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        self.report({'INFO'}, tip("Scattered '{f}' on '{s}' ({m}): open its node tree to "
                                  "edit").format(f=context.active_object.name,
                                                 s=surface.name, m=mod.name))
        return {'FINISHED'}


class GRC_OT_bake_field(bpy.types.Operator):
    """Bake the field scattered on the active object: its live variants to shape keys, in a
    collection the scatter then instances, so the field renders and exports without the
    extension (render farms)"""
    bl_idname = "grc.bake_field"
    bl_label = "Bake Field"
    bl_options = {'REGISTER', 'UNDO'}

    use_range: bpy.props.BoolProperty(name="Custom Range", default=False,
                                      description="Bake these frames (else the keyed ones)")
    frame_start: bpy.props.IntProperty(name="Start", default=1,
                                       description="The first frame baked")
    frame_end: bpy.props.IntProperty(name="End", default=250,
                                     description="The last frame baked")
    step: bpy.props.IntProperty(name="Step", default=1, min=1,
                                description="Bake every Nth frame (frames between blend)")

    @classmethod
    def poll(cls, context):
        if not (polls.has_scene(cls, context) and polls.object_mode(cls, context)):
            return False
        if api.scatter_modifier(context.active_object) is None:
            return polls.refuse(cls, "Select a surface with a GRC Scatter modifier")
        return True

    def execute(self, context):
        try:
            out = api.bake_field(context.scene, context.active_object,
                                 self.frame_start if self.use_range else None,
                                 self.frame_end if self.use_range else None, self.step)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        self.report({'INFO'}, tip("Baked {n} variants into '{c}'").format(
            n=len(out.objects), c=out.name))
        return {'FINISHED'}
