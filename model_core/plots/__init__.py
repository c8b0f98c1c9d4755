"""Plots drawn with numpy only (the panels' images, the demo's figures).

    plot.py           the context traces (seed figures 5 and 6) and the 2-D pad
    extrapolation.py  where a petal's path leaves the templates' traces
    loss_plot.py      the Train panel's loss curve
    raster.py         anti-aliased lines and text on an RGBA array
"""
