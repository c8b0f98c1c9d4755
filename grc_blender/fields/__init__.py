"""Fields of flowers (issue 20): flowers seen through instancers animate, Scatter Flowers,
a bloom that travels across the field.

    instanced.py   the flowers a depsgraph evaluates that the scene's own list misses
                   (only a dependency of an instancer, in a collection not linked into the
                   scene, hidden or excluded), and the keyed values of the flowers whose
                   animation the depsgraph does not evaluate (read from their actions at
                   the depsgraph's frame); the frame path (handlers.py) hands both to
                   petals/live.sync
    variants.py    a small set of live variants of a flower (seeds, delays, context
                   offsets) in a collection of their own, hidden from the view layer
    scatter.py     Scatter Flowers: the Geometry Nodes tree (Distribute Points on Faces,
                   Instance on Points, Collection Info of the variants, pick instance by
                   index) built with the node API, and the bloom that travels (per point
                   the variant whose delay matches a vertex group, a texture or the
                   distance to an object)
    field_bake.py  bake a field: its variants to shape keys, in a collection of their own
                   the scatter then instances (renders without the extension)
"""
