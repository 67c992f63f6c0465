"""The Train tab: the race (the family's default against the knob's value, same seed) with its
PSNR curves, reconstructions, error per frequency band and a download of the race as an
animation; and the trust check: every grid value trained, PSNR at each budget beside W."""

from __future__ import annotations

import time
from collections.abc import Iterator

import gradio as gr

from .. import animation, plots
from ..models import FAMILIES, build
from ..spectrum import band_errors
from ..state import Controls, Session
from ..study import run_study
from ..train import fit
from .explore import add_players
from .page import GPU_SECONDS, Context, Page, in_background, on_gpu
from .prose import RACE_INTRO, RULES_NOTE, TRADE_OFF_GUIDE, TRUST_INTRO

UI_INTERVAL = 0.3  # seconds between training updates on screen
RACE = ("psnr_plot", "default_image", "fresh_image", "train_status", "band_plot", "race_hint", "race_animation",
        "race_gif", "default_audio", "fresh_audio", "default_video", "fresh_video")
ENDPOINTS = {
    "train": RACE,
    "study": ("study_plot", "study_hint", "study_status"),
}


def study_budgets(largest: int) -> list[int]:
    """Three budgets up to `largest` steps: a third, two thirds, all."""
    return sorted({max(1, largest // 3), max(1, 2 * largest // 3), largest})


class Training:
    """The Train tab's handlers."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def train(self, state: Session | None, steps: float, lr: float | None, controls: Controls) -> Iterator[dict]:
        """Race the family default against the knob's value with the same seed; when it ends, the race as
        an MP4 and a GIF (both reconstructions and the PSNR curves growing, one frame per report)."""
        if state is None:
            raise gr.Error("load a signal first")
        signal, device = state.signal, self.ctx.device
        knob = controls.knob(signal.ndim)
        default, chosen = controls.default_values(signal.ndim), controls.knob_values(signal.ndim)
        # The default member is the family's default in every knob; the other is the page's setting.
        model = build(controls.family, signal.ndim, signal.channels, [controls.seed] * 2, controls.width,
                      controls.depth, {k: [default[k], chosen[k]] for k in default}, device, shape=signal.spatial_shape)
        labels = {k.name: k.label for k in controls.model.knobs}
        names = [f"default {knob.label}={knob.default:g}",
                 ", ".join(f"{labels[k]}={v:g}" for k, v in chosen.items() if k == knob.name or v != default[k])]
        curves: dict[str, list] = {n: [] for n in names}
        bands: dict[str, list] = {n: [] for n in names}
        frames: list[animation.RaceFrame] = []
        target = signal.values.to(device)
        total = max(1, min(int(steps), self.ctx.budget.max_steps))
        last_shown = 0.0
        for report in in_background(fit(model, signal.values, total, lr if lr and lr > 0 else None,
                                        max(1, total // 100), seed=controls.seed,
                                        max_seconds=self.ctx.budget.max_seconds)):
            errors = band_errors(report.reconstruction, target).tolist()
            frames.append(animation.RaceFrame.from_progress(report))
            for i, name in enumerate(names):
                curves[name].append((report.step, report.train_psnr[i], report.test_psnr[i]))
                bands[name].append((report.step, errors[i]))
            if not report.done and time.perf_counter() - last_shown < UI_INTERVAL:
                continue
            last_shown = time.perf_counter()
            scores = "; ".join(f"{n}: {report.psnr[i]:.2f} dB" for i, n in enumerate(names))
            status = f"Step {report.step}/{total}, {report.seconds:.1f} s. {scores}"
            if report.done:
                capped = " at the time cap" if report.stopped else ""
                status = f"**Finished{capped}**: {report.step} steps in {report.seconds:.1f} s. " + "; ".join(
                    f"{n}: {report.psnr[i]:.2f} dB on all samples, {report.test_psnr[i]:.2f} dB held out "
                    f"(gap {report.train_psnr[i] - report.test_psnr[i]:+.2f} dB)" for i, n in enumerate(names))
            played = self.ctx.players(signal, default=report.reconstruction[0].cpu(),
                                      fresh=report.reconstruction[1].cpu()) if report.done else {}
            view = {"psnr_plot": plots.psnr_figure(curves, total),
                    "default_image": self.ctx.picture(report.reconstruction[0], signal.kind),
                    "fresh_image": self.ctx.picture(report.reconstruction[1], signal.kind),
                    "train_status": status, "band_plot": plots.band_error_figure(bands),
                    "race_hint": gr.update(visible=False), **played}
            yield {**view, "train_status": status + (" Making the animation..." if report.done else "")}
        movies = {fmt: self.ctx.files.keep_track(animation.race_animation(
            frames, names, total, self.ctx.files.folder, fmt, target=signal.values, name="race"))
            for fmt in ("mp4", "gif")}
        yield {**view, "race_animation": movies["mp4"], "race_gif": movies["gif"]}

    def study(self, state: Session | None, budgets: list[str] | None, lr: float | None,
              controls: Controls) -> Iterator[dict]:
        """The trust check: FreSh's pick against every grid value trained (one ensemble, same seed, 10 % held
        out), PSNR at each budget beside W, with regret, gain, speed-up and rank correlation in words."""
        if state is None:
            raise gr.Error("load a signal first")
        chosen = sorted({int(b) for b in budgets or []}) or study_budgets(self.ctx.budget.study_steps)
        signal, knob = state.signal, controls.knob(state.signal.ndim)
        for record in in_background(run_study(signal, controls.family, chosen, bins=controls.bins,
                                              mode=controls.mode, width=controls.width, depth=controls.depth,
                                              fixed=controls.fixed_values(signal.ndim), seed=controls.seed,
                                              lr=lr if lr and lr > 0 else None, device=self.ctx.device,
                                              seeds=10, max_seconds=self.ctx.budget.max_seconds)):
            yield {"study_plot": plots.study_figure(record, knob.label, knob.log),
                   "study_hint": gr.update(visible=False), "study_status": study_words(record, knob.label)}


def study_words(record: dict, label: str) -> str:
    """A study in sentences: per budget the grid's best, the pick's regret and gain, the rank correlation;
    then the speed claim."""
    lines = []
    for b in record["budgets"]:
        rho = b["spearman"]["held_out"]
        agree = "" if rho is None else (f"; rank correlation of W with held-out PSNR {rho:+.2f}" +
                                        (" (a lower W trained better)" if rho < -0.3 else
                                         " (W did not order the values by how they trained)" if rho < 0.3 else
                                         " (a lower W trained worse)"))
        lines.append(f"- **{b['steps']} steps**: best held out {label} = {b['best']['held_out']:g}, best trained "
                     f"{b['best']['trained']:g}; FreSh's {record['pick']:g} loses {b['regret']['held_out']:.2f} dB "
                     f"held out ({b['regret']['trained']:.2f} dB trained) to them and gains "
                     f"{b['gain']['held_out']:+.2f} dB held out ({b['gain']['trained']:+.2f} dB trained) over the "
                     f"default {record['default']:g}{agree}.")
    speed = record.get("speedup") or {}
    if speed.get("steps"):
        lines.append(f"- **Speed**: the pick reached the default's trained PSNR at {record['budgets'][-1]['steps']} "
                     f"steps ({speed['target_psnr']:.2f} dB) in {speed['steps']} steps: {speed['factor']:.1f}x.")
    elif record["budgets"]:
        lines.append("- **Speed**: within these steps the pick never reached the default's trained PSNR.")
    head = "**Done.**" if not record.get("stopped") and len(record["budgets"]) else "Training..."
    return f"{head} {len(record['values'])} values trained together, {record['seconds']:.0f} s.\n\n" + \
        "\n".join(lines)


def build_tab(page: Page, ctx: Context) -> None:
    """The Train tab's widgets (call inside `gr.Tab`)."""
    budget = ctx.budget
    left, right = page.section(RACE_INTRO)
    with left:
        page.add("steps", gr.Slider(10, budget.max_steps, value=budget.steps, step=10, label="Steps",
                                    elem_id="train-steps"))
        page.add("lr", gr.Number(FAMILIES["siren"].lr, label="Learning rate", elem_id="lr-number"))
        with gr.Row():
            page.add("train_button", gr.Button("Train both", variant="primary", elem_id="train-button"))
            page.add("stop_button", gr.Button("Stop", elem_id="stop-button"))
        page.add("train_status", gr.Markdown(elem_id="train-status"))
        page.add("race_hint", gr.Markdown("Press **Train both** to race the default against the slider's value: "
                                          "PSNR curves, both reconstructions, the error per frequency band, then "
                                          "the race as an animation for slides.", elem_id="race-hint"))
        page.add("race_animation", gr.DownloadButton("The race as MP4", elem_id="race-animation", visible=False),
                 reveal=True)
        page.add("race_gif", gr.DownloadButton("The race as GIF", elem_id="race-gif", visible=False), reveal=True)
        with gr.Accordion("Why the dashed line can fall: fitting against interpolation", open=False,
                          elem_id="trade-off-guide"):
            gr.Markdown(f"{TRADE_OFF_GUIDE}\n\n{RULES_NOTE}")
    with right:
        page.add("psnr_plot", gr.Plot(label="PSNR", elem_id="psnr-plot", visible=False), reveal=True)
        with gr.Row():
            for name, label in (("default", "Default"), ("fresh", "Slider value")):
                page.add(f"{name}_image", gr.Image(label=label, interactive=False, elem_id=f"train-{name}-image",
                                                   format="png", visible=False), reveal=True)
        with gr.Row():
            add_players(page, "default", "Default", prefix="train-")
            add_players(page, "fresh", "Slider value", prefix="train-")
        page.add("band_plot", gr.Plot(label="Error per frequency band", elem_id="band-error-plot", visible=False),
                 reveal=True)
    left, right = page.section(TRUST_INTRO)
    with left:
        choices = sorted({*study_budgets(budget.study_steps), budget.steps})
        page.add("study_budgets", gr.CheckboxGroup([str(b) for b in choices],
                                                   value=[str(b) for b in study_budgets(budget.study_steps)],
                                                   label="Budgets (steps)", elem_id="study-budgets"))
        page.add("study_button", gr.Button("Check the pick against training", elem_id="grid-button"))
        page.add("study_status", gr.Markdown(elem_id="study-status"))
    with right:
        page.add("study_hint", gr.Markdown("Press **Check the pick against training** to see W and the trained "
                                           "PSNR of every value side by side.", elem_id="study-hint"))
        page.add("study_plot", gr.Plot(label="W and PSNR against the parameter", elem_id="study-plot",
                                       visible=False), reveal=True)


def wire(page: Page, training: Training) -> list:
    """The Train tab's events; returns the long-running ones (for the Stop button)."""
    controls = page.controls()
    session = page["session"]

    def train_pressed(state, steps: float, lr: float | None, **raw):
        for view in training.train(state, steps, lr, Controls.from_page(**raw)):
            yield page.named(view)

    def study_pressed(state, budgets: list[str], lr: float | None, **raw):
        for view in training.study(state, budgets, lr, Controls.from_page(**raw)):
            yield page.named(view)

    heavy = dict(inputs_kwargs=controls, concurrency_limit=1, concurrency_id="train")
    race = page.on(page["train_button"].click, on_gpu(train_pressed, GPU_SECONDS["train"]),
                   [session, page["steps"], page["lr"]], ENDPOINTS["train"], "train", **heavy)
    study = page.on(page["study_button"].click, on_gpu(study_pressed, GPU_SECONDS["train"]),
                    [session, page["study_budgets"], page["lr"]], ENDPOINTS["study"], "study", **heavy)
    return [race, study]
