"""Training: from captured templates to a stored model, in the background or in place.

    settings.py      the artist-facing training settings: the one list props and jobs read
    jobs.py          the worker thread (numpy copies in, a model out; never touches bpy)
    state.py         start / follow / land / cancel; TrainingState, the one writer of the
                     training fields of Scene.grc
    presets.py       Fast / Balanced / Faithful on Scene.grc
    torch_check.py   is torch importable (never imported to find out)
"""
