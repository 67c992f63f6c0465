from fresh_viz.ui import launch

launch()
