"""fresh_viz: see spectral bias in neural fields and fix it with FreSh.

The math lives in `signals`, `spectrum`, `models`, `fresh` and `train` and
imports no UI code; `plots` draws figures; `app` wires them into Gradio.
"""

__version__ = "0.1.0"
