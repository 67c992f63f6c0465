from fresh_viz.app import launch

launch()
