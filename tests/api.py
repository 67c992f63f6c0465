"""The app's API replies by widget name, so that tests do not count positions."""

from __future__ import annotations

from fresh_viz.ui import CLIENT_UNSEEN, ENDPOINTS


def reply(endpoint: str, result: tuple) -> dict:
    """`result` of `/endpoint` (as gradio_client returns it) keyed by widget name."""
    names = [name for name in ENDPOINTS[endpoint] if name not in CLIENT_UNSEEN]
    assert len(result) == len(names), (endpoint, len(result), names)
    return dict(zip(names, result))
