"""fresh_viz: see spectral bias in neural fields and fix it with FreSh.

    import fresh_viz
    signal = fresh_viz.make_preset("astronaut", 128)          # or fresh_viz.load_signal("photo.jpg")
    pick = fresh_viz.select_embedding(signal, "siren")        # a Selection: W per value, the pick, how sure
    model = fresh_viz.build("siren", signal.ndim, signal.channels, values={"omega0": pick.best})
    for report in fresh_viz.fit(model, signal.values, steps=300): ...

`select_model` runs the same selection on your own network, `select_outputs` on untrained
outputs saved elsewhere; `FAMILIES` is the registry of built-in model families.  The math
(`signals`, `spectrum`, `models`, `fresh`, `train`) imports no UI code; `plots` draws figures;
`ui` wires them into the Gradio app and `cli` into `python -m fresh_viz`.
"""

from .external import select_model, select_outputs
from .fresh import Selection, select_embedding
from .models import FAMILIES, build
from .signals import load_signal, make_preset
from .train import fit

__version__ = "0.1.0"
__all__ = ["FAMILIES", "Selection", "build", "fit", "load_signal", "make_preset", "select_embedding",
           "select_model", "select_outputs"]
