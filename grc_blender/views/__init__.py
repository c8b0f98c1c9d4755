"""Views: what the panels and the viewport show besides the petals themselves.

    preview_pixels.py  the panels' preview images: pixels in and out
    trace_image.py     the Petal panel's context traces (model_core.plots.plot)
    loss_image.py      the Train panel's loss curve (model_core.plots.loss_plot)
    error_view.py      Show Error: the preview petal coloured by its error
    ghost.py           the captured shape drawn over the error preview
"""
