"""The app's words: what each preset shows a class, and the guides beside the race.  Prose
for people lives here, beside the panels that show it, not in the library."""

from __future__ import annotations

PRESET_GUIDES = {
    "astronaut": (
        'A photograph: most energy is at low frequencies, with edges and texture on top. Press Run FreSh: it '
        'picks an ω₀ above the default 30. Then Train both and watch the tuned model pull ahead on the solid '
        'lines, while the dashed held-out lines stay closer together.'
    ),
    "coffee": (
        "A smoother photograph than the astronaut. Compare the ω₀ FreSh picks here with the astronaut's: less "
        'detail, a lower value.'
    ),
    "grass": (
        'Almost all detail is fine texture. Drag ω₀ from 30 to 150 and watch the red spectrum slide right '
        'onto the blue one; W drops. The default model learns this texture slowly: spectral bias.'
    ),
    "zoneplate": (
        "Every frequency, from the centre outwards. Drag ω₀ up and watch the model's spectrum move right. Its "
        "energy reaches Nyquist, so FreSh's choice sits at the top of the grid; train both and run the "
        'trust check on the Train tab: here the spectral match overshoots what trains best, a limit worth showing.'
    ),
    "siemens": (
        "Sharp edges at every angle. Switch the spectrum mode between paper and radial: the paper mode's "
        'diagonal bins treat two of the four diagonal directions differently.'
    ),
    "blobs": (
        'Almost nothing but low frequencies. FreSh picks the lowest ω₀ on the grid; a high ω₀ puts the '
        "model's energy far to the right of the target's."
    ),
    "chirp": (
        'A sweep from 50 Hz to 2 kHz. Audio needs ω₀ in the thousands: the slider is logarithmic. FreSh finds '
        "the value whose spectrum covers the sweep's band."
    ),
    "sines": (
        "Three pure tones: three spikes in the spectrum. Watch how the untrained model's smooth spectrum can "
        'only match their spread, not the spikes themselves.'
    ),
    "orbit": (
        'A short clip, fitted as one 3-D signal (time, height, width). The spectrum pools all three axes.'
    ),
}

TRADE_OFF_GUIDE = (
    "FreSh picks the embedding frequency (SIREN's ω₀, the Fourier features' σ) whose untrained model has the "
    "target's spectrum. That speeds up fitting the samples the model trains on: a network learns the frequencies "
    "its initialisation already produces first (spectral bias), so a higher value reaches the target's fine "
    "detail in fewer steps. The same reach works against you between the samples. A held-out pixel sits between "
    "trained ones, where the samples say nothing; a model whose frequencies reach the grid's Nyquist limit can "
    "pass through every trained sample with a curve that swings in between, and nothing in the loss stops it. "
    "So on textures, small grids and short training, the tuned model's PSNR on the trained samples (solid lines) "
    "climbs well above the default's while its PSNR on the held-out samples (dashed) can stay level or fall "
    "below. If you need the model between the samples (upsampling, a new view), watch the dashed line, not the "
    "solid one."
)

RULES_NOTE = (
    "Five other rules that choose from the same untrained outputs (shorter spectrum crops, the lowest value "
    "within a tolerance of the minimum, bins weighted by the target's energy) were measured on the bundled "
    "signals: none keeps most of FreSh's fitting gain without losing held-out PSNR against the default, so the "
    "app keeps the paper's rule. They move along the same trade-off; the command line offers them "
    "(`select --rule`), and docs/selection_rules.md has the table."
)

RACE_INTRO = (
    "### Training race\nTrains the family's default and the slider's value side by "
    "side with the same seed. Solid lines: PSNR on the samples trained on; dashed: on "
    "the 10 % held out."
)

TRUST_INTRO = (
    "### Can I trust the pick?\nTrains *every* value of the grid and the default together (same seed, 10 % held "
    "out) and shows PSNR at each budget next to W: does the W minimum sit near the PSNR maximum, what does the "
    "pick lose to the grid's best, what does it gain over the default, and does it reach the default's PSNR "
    "sooner? Stop halts it."
)

COMPARE_INTRO = (
    "### Which family fits this signal?\nRuns FreSh for every model family on this signal (fast mode unless the "
    "paper setting is ticked on the Explore tab) and shows each family's choice, its W with the error bar, its "
    "untrained output and its spectrum. Then train them all at their chosen values for the race's number of "
    "steps, each with its own learning rate."
)

OUTPUTS_INTRO = (
    "### Your model's outputs\nSave about 10 untrained outputs of your own network per configuration as "
    "`<configuration>/<i>.npy` (arrays (C, H, W) or (H, W, C), optionally with a leading frame axis: the FreSh "
    "reference's layout), zip the folder and upload it: W of every configuration against the current target, "
    "with error bars. The command-line twin is `python -m fresh_viz outputs`."
)
