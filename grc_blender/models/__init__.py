"""Models as Blender data: several per file, each on its own data-block.

    datablock.py     a model's data-block (a Text): create, find by identity, copy, remove
    scene_models.py  the scene's model list (Scene.grc.models): active, add, remove,
                     duplicate, and models that arrive with appended or linked objects
    migrate.py       files of the previous version (one model in Scene.grc) -> the list

Why a Text: Python cannot define new ID types, and a model must be an ID so that the
petals and flowers that point to it carry it through append, link, library overrides and
the Asset Browser (Blender follows ID pointers in custom properties). A Text is light,
has no users of its own to confuse, is listed in the Blender File view, and its body
tells an artist who opens it what it is. The model's arrays are base64 .npz in
`Text.grc_model` (validated, never unpickled), not in the text body.
"""
