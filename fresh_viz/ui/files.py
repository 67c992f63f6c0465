"""Files handed to Gradio for the image, audio, video and download outputs."""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
import weakref
from collections import deque
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..signals import write_audio, write_video


class OutputFiles:
    """Gradio stores a returned array under a name made from its content and rewrites
    that file in place, so two sessions showing the same picture can be served a
    half-written file.  A file path is instead copied into Gradio's cache under a
    temporary name and renamed, which is safe.  Each output gets a unique file
    here; the newest `keep` are kept long enough to be copied, older ones deleted.
    """

    def __init__(self, keep: int = 256):
        self.folder = Path(tempfile.mkdtemp(prefix="fresh_viz-"))
        self.keep = keep
        self.recent: deque[Path] = deque()
        self.lock = threading.Lock()
        weakref.finalize(self, shutil.rmtree, self.folder, True)

    def save(self, picture: np.ndarray) -> str:
        """An (H, W, 3) uint8 picture as a new PNG file."""
        path = self.new_path(".png")
        Image.fromarray(picture).save(path, compress_level=1)
        return self.keep_track(path)

    def save_text(self, text: str, name: str) -> str:
        """Text in a new file called `name` (in a folder of its own)."""
        folder = self.folder / uuid.uuid4().hex
        folder.mkdir()
        path = folder / name
        path.write_text(text)
        return self.keep_track(path)

    def new_path(self, suffix: str) -> Path:
        """A fresh file name in the folder; pass the written file to `keep_track`."""
        return self.folder / f"{uuid.uuid4().hex}{suffix}"

    def save_audio(self, values: torch.Tensor, rate: float) -> str:
        """(C, L) samples in [-1, 1] as a WAV file a browser plays."""
        return self.keep_track(write_audio(values, rate, self.folder))

    def save_video(self, values: torch.Tensor, fps: float) -> str:
        """(C, T, H, W) frames in [-1, 1] as an H.264 MP4 file a browser plays."""
        return self.keep_track(write_video(values, fps, self.folder))

    def keep_track(self, path: Path) -> str:
        with self.lock:
            self.recent.append(path)
            while len(self.recent) > self.keep:
                old = self.recent.popleft()
                old.unlink(missing_ok=True)
                if old.parent != self.folder:
                    shutil.rmtree(old.parent, ignore_errors=True)
        return str(path)
