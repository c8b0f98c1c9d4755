"""Petals and flowers: the live path that regenerates them, each from its own model, in
every depsgraph.

    live.py          the frame path: sync in named stages (begin, gather, follow flowers,
                     changed, decide, generate and write, finish); handlers call it
    live_state.py    LivePetals: the one owner of every cache of the live path
    edits.py         after a depsgraph update: hand edits kept, drivers followed
    columns.py       the per-petal values the frame path gathers, and is_petal()
    flower_rule.py   a flower root's Bloom and Context -> its petals' time and context
    ownership.py     which meshes are the extension's to write, and why not
    petal_objects.py add / reset petals, the petal material, the Subdivision modifier
    flower_object.py a flower as ONE mesh object: add a flower, add a ring, separate petals
    flower_layout.py a flower's rings and layout values -> every petal's placement
                     (matrix, delay, variation, random, slot); shingles
    flower_write.py  the frame path of one-object flowers: one generate_many per (model,
                     rows) over all of them, each mesh written once; safe_generate (one bad
                     petal fails alone)
    flower.py        FlowerLayout; flowers of the previous version (root Empty + petal
                     objects, add_petal_flower), their layout, Merge Petals
    flower_mesh.py   a merged flower's one mesh: its petals placed by their transforms; a
                     one-object flower's topology (UVs, petal_index, petal_random, slots)
    bake.py          petals and flowers to shape keys, for any Blender
"""
