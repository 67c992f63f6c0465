"""Every family through the command line on 1-D, 2-D and 3-D signals, and training of the
complex (WIRE) and hash-grid families."""

from __future__ import annotations

import json

import pytest
import torch

from fresh_viz.__main__ import main
from fresh_viz.models import FAMILIES, build
from fresh_viz.signals import make_preset
from fresh_viz.train import fit

SIGNALS = {"audio": ["preset:sines", "--size", "256"], "image": ["preset:coffee", "--size", "20"],
           "video": ["preset:orbit", "--size", "12"]}


def run_json(capsys, argv):
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("kind", list(SIGNALS))
def test_select_and_fit_every_family(capsys, family, kind):
    small = ["--width", "16", "--depth", "1", "--json"]
    knob = FAMILIES[family].knobs[0].name
    out = run_json(capsys, ["select", *SIGNALS[kind], "--model", family, "--seeds", "2", "--fast", *small])
    assert out["model"] == family and out["param"] == knob and out["best"] in out["values"]
    assert out["width"] == 16 and out["depth"] == 1 and out["fast"] and out["fast_rule"]
    fitted = run_json(capsys, ["fit", *SIGNALS[kind], "--model", family, "--param", str(out["best"]),
                               "--steps", "3", *small])
    assert fitted["values"][knob] == out["best"] and len(fitted["curve"]) >= 2


def test_second_knobs_on_select_and_fit(capsys):
    image = ["preset:blobs", "--size", "16", "--width", "16", "--depth", "1", "--seeds", "1", "--json"]
    out = run_json(capsys, ["select", *image, "--model", "wire", "--param", "scale0", "--values", "2,20",
                            "--set", "omega0=5"])
    assert out["param"] == "scale0" and out["fixed"] == {"omega0": 5.0}
    out = run_json(capsys, ["select", *image, "--model", "finer", "--values", "20,40"])
    assert out["fixed"] == {"bias_scale": 0.0}  # the reference holds k = 0 while it tunes ω₀
    fitted = run_json(capsys, ["fit", "preset:blobs", "--size", "16", "--width", "16", "--model", "finer",
                               "--steps", "2", "--set", "bias_scale=0.3", "--json"])
    assert fitted["values"] == {"omega0": 30.0, "bias_scale": 0.3}
    assert main(["fit", "preset:blobs", "--model", "siren", "--set", "sigma=2"]) == 2
    assert "no knob" in capsys.readouterr().err
    assert main(["select", "preset:blobs", "--set", "omega0"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_family_width_and_depth_are_the_defaults(capsys):
    out = run_json(capsys, ["select", "preset:blobs", "--size", "16", "--model", "hashgrid", "--seeds", "1",
                            "--values", "64", "--json"])
    assert (out["width"], out["depth"]) == (64, 1)


@pytest.mark.parametrize("family", ["wire", "hashgrid"])
def test_wire_and_hash_grid_train(family):
    image = make_preset("astronaut", 24)
    model = build(family, 2, 3, [0, 1], width=64, shape=image.spatial_shape)
    trained = [p for p in model.parameters() if p.requires_grad]  # the hash grid's head has no biases
    before = [p.detach().clone() for p in trained]
    reports = list(fit(model, image.values, steps=120, every=120))
    assert reports[-1].psnr[0] > reports[0].psnr[0] + 3 and reports[-1].psnr[1] > reports[0].psnr[1] + 3
    assert all(not torch.equal(a, b) for a, b in zip(before, trained))
