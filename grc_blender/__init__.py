"""Blender glue: the use cases (api.py) and what they stand on. model_core never sees bpy;
this package does. It imports neither operators nor panels: registration flows down from
the add-on's root __init__.py."""
