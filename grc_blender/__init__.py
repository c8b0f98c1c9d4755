"""Blender glue: the use cases (api.py) and the rooms they stand on. model_core never sees
bpy; this package does. It imports neither operators nor panels: registration flows down
from the add-on's root __init__.py (registration.py).

Top floor (shared by every room):
    api.py           the use cases operators, tests, tools/demo.py and scripts call
    props.py         the property schema (declarations only); props_update.py its callbacks
    access.py        typed access to Scene.grc / Object.grc / Mesh.grc
    store.py         model and templates inside the .blend; the decoded-model cache
    handlers.py      app handlers (frame change, depsgraph update, load, undo, render end)
    caches.py        the one place that drops every cache (load, undo, unregister)
    preferences.py   the add-on's preferences

Rooms, one per feature (each __init__ lists its modules):
    templates/       make, capture and show templates
    training/        train a model: settings, jobs, state, presets
    petals/          the live path, petals, flowers, ownership, bake
    fields/          fields of flowers: instanced flowers found for the frame path,
                     Scatter Flowers (a Geometry Nodes tree of live variants), bake a field
    views/           images and previews: trace, loss curve, error, ghost
    util/            bpy utilities every room stands on (no feature knowledge)

Floors, lowest first: util -> templates, training -> petals -> fields, views -> api
(handlers.py hands fields/instanced.py's findings to petals/live.py). A room imports only rooms below it or on its floor's side; no run-time import circles
(tests/blender/test_house.py checks it).
"""
