"""examples/fresh_tour.ipynb runs from top to bottom and prints what it promises."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "fresh_tour.ipynb"


def text_of(cell) -> str:
    """Everything a code cell printed (streams and text results)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.slow
def test_the_tour_notebook_runs_and_shows_the_pick(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "the notebook is stored without outputs"
    start = time.perf_counter()
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first cell that fails
    seconds = time.perf_counter() - start
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(o.output_type != "error" for cell in code for o in cell.outputs)
    printed = "\n".join(text_of(cell) for cell in code)

    assert re.search(r"omega0 = 30: W = \d+\.\d{3}", printed) and re.search(r"omega0 = 90: W = \d+\.\d{3}", printed)
    pick = re.search(r"FreSh's pick: omega0 = (\d+)", printed)
    assert pick, printed
    assert re.search(r"plausible: \[.*\] \| edge: (None|low|high)", printed)
    assert printed.count("won ") == 11  # one line per grid value with its share of resamples
    assert re.search(rf"FreSh omega0 = {pick.group(1)}: PSNR \d+\.\d\d dB trained, \d+\.\d\d dB held out, after "
                     r"100 steps", printed)
    assert re.search(r"default omega0 = 30: PSNR", printed)
    assert re.search(r"FreSh's w0 for the sine MLP: \d+", printed)
    for name in ("siren", "fourier", "posenc", "finer", "wire", "hashgrid"):
        assert re.search(rf"^{name} ", printed, re.M)
    figures = sum("image/png" in o.get("data", {}) for cell in code for o in cell.outputs)
    assert figures == 5  # target, spectra, W against omega0, training, the sine MLP's W
    assert not any(tmp_path.iterdir()), "the tour writes no files"
    print(f"notebook ran in {seconds:.1f} s")
