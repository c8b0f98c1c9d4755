"""Templates: the artist's sculpted petals, and their capture into arrays.

    new_template.py      Add > Mesh > template to sculpt, or a variant of the active one
    key_frames.py        which frame each shape key of a template is on
    grid_from_mesh.py    a template grid laid on a petal mesh of any topology
    example.py           the bundled example as two animated template objects
    capture.py           evaluated template meshes at the capture frames -> stored arrays
    capture_frames.py    which frames: keyframes of a template and what deforms it, markers
    cage.py              topology-changing modifiers off during capture
    fingerprint.py       cheap checksum of a template ("edited since capture")
    overlay_geometry.py  base/tip marks and labels (pure numpy)
    overlay.py           the viewport draw handler that shows them
"""
