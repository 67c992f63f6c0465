"""Data shipped inside the fresh_viz wheel as `fresh_viz.assets`: the preset photos (photos/*.png)."""
