"""Benchmark: how fast does the engine make a picture, against the original course's recipe?

Run from the repository root::

    python bench/generation.py            # a readable report
    python bench/generation.py --json     # ... and, as the last line, one JSON object

Everything runs in one process, on this machine, with one VGG19 (the real
weights when found, else the course's seeded random ones) and one objective:
the reference cost functions (``autograder.grading.reference``) with the course's
layers (``config.CONTENT_LAYER``, ``config.STYLE_LAYERS``), ``alpha`` =
``config.ALPHA``, ``beta`` = ``config.BETA``, images preprocessed by
``nst_utils.features.preprocess_for_vgg``, at ``config.IMAGE_SIZE``
(coffee.jpg and swirls.png).

* **baseline**: the original course's TensorFlow 2 recipe, written out here:
  the generated image is a ``tf.Variable`` started at the content image plus
  uniform noise in [-0.25, 0.25] and clipped to [0, 1]; a ``tf.function``
  train step computes the costs, takes the gradient, applies Adam
  (``config.LEARNING_RATE``, ``config.ADAM_BETA_1``, ``config.ADAM_EPSILON``)
  and clips the image back into [0, 1]; float32.
* **ours**: ``nst_utils.transfer.style_transfer`` with its defaults
  (``config.ENGINE_*``), unless options below change them.

Figures:

* ``step_time_ratio``: median seconds per step of ours / of the baseline, both
  in float32, measured in alternating blocks so that a busy machine slows
  both alike (each block of ours is a new run, with its own seed) (target <= 1).
* ``time_to_loss_ratio``: our wall time until our image's cost is at most the
  cost of the baseline's image after ``--steps`` (100) steps, divided by the
  baseline's wall time for those steps (target <= 0.5). Both clocks start
  before the targets are computed and include tracing. Every cost compared is
  recomputed afterwards, untimed, by one float32 evaluation of the objective
  above on the image itself, so precision or resolution tricks cannot flatter
  the figure.
* peak memory (resident set size) of each run, the counter reset before it.
* ``notebook04_seconds``: wall time of notebook 04's run with its defaults, in
  a fresh Python process: from the start of the process (imports, VGG19,
  images) to the final image (target <= 90 s on a CPU with native bfloat16 (AMX);
  about 155 s where a 300x400 step takes ~2 s in float32).
* ``notebook04`` and ``notebook05`` before and after, ratio printed (targets:
  04 <= 1, 05 <= 0.5). **before** is the engine as it was: every run traced
  and painted afresh, through TensorFlow's own gradients
  (``NST_REUSE_COMPILED=0``, ``NST_FAST_GRADIENT=0``); **after** is the
  engine as it is: compiled steps, pictures' activations and finished runs kept
  (``nst_utils/engine/compiled.py``, ``activations.py``, ``remembered.py``), and the faster
  gradient (``nst_utils/vgg_pass.py``). Notebook 04 runs in a fresh Python
  process, notebook 05 (source, headless) in a fresh kernel. For notebook
  05 also: how far its figures are apart, before and after, pixel by pixel
  (the two gradients agree to rounding, so Adam's pictures differ by a level
  here and there; L-BFGS, whose line search amplifies rounding, by more),
  and, in this process, whether a few runs give identical images with and
  without kept steps (they must: same gradient, same numbers).

``--only reuse`` runs just the notebook 04 and 05 measurements; ``--rounds N``
measures notebook 05 before and after N times each, in ABBA order, and
reports the medians (one round takes about 6 minutes here).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from nst_utils import config  # noqa: E402
from nst_utils._tf import tf  # noqa: E402


# ---------------------------------------------------------------------------
# Memory: the resident-set high-water mark of this process, resettable on Linux
# ---------------------------------------------------------------------------
def _status(field: str) -> float | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else None


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Phase:
    """Peak and starting resident memory (MiB) of a stretch of work."""

    def __enter__(self):
        self.resettable = reset_peak()
        self.start_mib = _status("VmRSS")
        return self

    def __exit__(self, *exc):
        self.peak_mib = _status("VmHWM") if self.resettable else None

    def report(self) -> dict:
        return {
            "peak_rss_mib": None if self.peak_mib is None else round(self.peak_mib, 1),
            "peak_above_start_mib": None
            if self.peak_mib is None
            else round(self.peak_mib - self.start_mib, 1),
        }


# ---------------------------------------------------------------------------
# The baseline: the original course's TF2 recipe
# ---------------------------------------------------------------------------
class Baseline:
    def __init__(self, extractor, content, style, costs, seed: int):
        import keras

        self.extractor, self.costs = extractor, costs
        self.content, self.style, self.seed = content, style, seed
        self.keras = keras

    def start(self):
        """Targets, the noisy start, the optimiser and the traced step (all timed by the caller)."""
        costs, extractor = self.costs, self.extractor
        a_C = extractor(self.content)[config.CONTENT_LAYER]
        a_S = extractor(self.style)
        noise = tf.random.stateless_uniform(self.content.shape, seed=(self.seed, 0), minval=-0.25, maxval=0.25)
        generated = tf.Variable(tf.clip_by_value(self.content + noise, 0.0, 1.0))
        optimizer = self.keras.optimizers.Adam(
            learning_rate=config.LEARNING_RATE, beta_1=config.ADAM_BETA_1, epsilon=config.ADAM_EPSILON
        )
        optimizer.build([generated])  # as the engine does: one trace, not two (favours the baseline)
        learner_step = costs["train_step"]  # the reference train_step (notebook 04)

        def compute_cost(image):
            a_G = extractor(image)
            J_style = costs["compute_style_cost"](a_S, a_G)
            J_content = costs["compute_content_cost"](a_C, a_G[config.CONTENT_LAYER])
            return costs["total_cost"](J_content, J_style, alpha=config.ALPHA, beta=config.BETA)

        @tf.function
        def train_step(generated_image):
            return learner_step(generated_image, optimizer, compute_cost)

        self.generated, self.train_step = generated, train_step
        return self

    def steps(self, n: int) -> list[float]:
        """Run ``n`` steps; seconds of each."""
        times = []
        for _ in range(n):
            tick = time.perf_counter()
            self.train_step(self.generated).numpy()
            times.append(time.perf_counter() - tick)
        return times


# ---------------------------------------------------------------------------
# Notebook 04's defaults, in a fresh process
# ---------------------------------------------------------------------------
NOTEBOOK04 = r"""
import json
import time
from nst_utils import config
from nst_utils.transfer import style_transfer
import autograder.grading.reference as ref
result = style_transfer(
    config.DEFAULT_CONTENT_IMAGE, config.DEFAULT_STYLE_IMAGE,
    compute_content_cost=ref.compute_content_cost, compute_style_cost=ref.compute_style_cost,
    total_cost=ref.total_cost, train_step=ref.train_step, alpha=config.ALPHA, beta=config.BETA,
    save_every=25, seed=0,
    progress=False,
)
done = time.perf_counter()
print("NOTEBOOK04", json.dumps({
    "style_transfer_seconds": result.seconds, "steps": len(result.history["step"]),
    "size": list(result.image.shape[1:3]), "final_J": result.final_loss,
    "first_J": result.history["total"][0], "settings": {k: str(v) for k, v in result.settings.items()},
}))
"""


def _children_cpu_seconds() -> float:
    """CPU time (user + system) of this process's finished children: a figure a busy machine hardly moves."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _engine_env(reuse: bool) -> dict:
    """The engine as it is (``reuse``: kept steps and runs, the fast gradient), or as it was before (neither)."""
    from nst_utils import vgg_pass
    from nst_utils.engine.settings import REUSE_ENV_VAR

    on = "1" if reuse else "0"
    return {REUSE_ENV_VAR: on, vgg_pass.ENV_VAR: on}


def run_notebook04(reuse: bool = True) -> dict:
    tick, cpu = time.perf_counter(), _children_cpu_seconds()
    try:
        done = subprocess.run(
            [sys.executable, "-c", NOTEBOOK04], cwd=ROOT, capture_output=True, text=True, timeout=1800,
            env={**__import__("os").environ, "PYTHONPATH": str(ROOT), **_engine_env(reuse)},
        )
    except subprocess.TimeoutExpired:
        return {"error": "notebook 04's run took more than 30 minutes (a very busy machine?)"}
    wall = time.perf_counter() - tick
    line = next((l for l in done.stdout.splitlines() if l.startswith("NOTEBOOK04 ")), None)
    if done.returncode or line is None:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    figures = json.loads(line.split(" ", 1)[1])
    figures["seconds_wall_including_python_start"] = wall
    figures["cpu_seconds"] = round(_children_cpu_seconds() - cpu, 2)
    return figures


# ---------------------------------------------------------------------------
# Notebook 05 (some twenty short runs): every run afresh, or compiled steps, activations and identical runs kept
# ---------------------------------------------------------------------------
def _figures(executed) -> dict[str, list[str]]:
    """The PNG figures of each code cell of an executed notebook, by cell id."""
    return {cell.get("id"): [o["data"]["image/png"] for o in cell.get("outputs", [])
                             if "image/png" in o.get("data", {})]
            for cell in executed.cells if cell.cell_type == "code"}


#: Two runs of a figure "look the same" when their pixels differ by at most this much on average (0-255 levels).
FIGURE_TOLERANCE = 1.0


def _pixels(png_base64: str) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png_base64))).convert("RGB"), dtype=np.int16)


def figure_difference(before: list[str], after: list[str]) -> dict:
    """How far one cell's figures are apart, before and after: largest and mean pixel difference, in levels."""
    pairs = [(_pixels(a), _pixels(b)) for a, b in zip(before, after)]
    if len(before) != len(after) or any(a.shape != b.shape for a, b in pairs):
        return {"comparable": False}
    gaps = np.concatenate([np.abs(a - b).ravel() for a, b in pairs])
    return {"comparable": True, "max_levels": int(gaps.max()), "mean_levels": round(float(gaps.mean()), 4)}


def run_notebook05(reuse: bool) -> dict:
    """Execute notebook 05 (source) headless in a fresh kernel; its wall time and figures."""
    from nst_utils.notebook_runner import run_folder

    cpu = _children_cpu_seconds()
    [result] = run_folder(config.SOURCE_DIR, ["05_going_further.ipynb"], env=_engine_env(reuse),
                          timeout=900, echo=lambda *_: None)
    return {"seconds": round(result.seconds, 2), "cpu_seconds": round(_children_cpu_seconds() - cpu, 2),
            "ok": result.ok, "errors": result.errors[:3], "figures": _figures(result.executed)}


def compare_notebook05(rounds: int = 1) -> dict:
    """Notebook 05 before and after, ``rounds`` times in ABBA order (before-after, after-before, ...),
    so that a machine slowing down or speeding up over the measurement weighs on both alike."""
    befores, afters = [], []
    for index in range(rounds):
        order = (False, True) if index % 2 == 0 else (True, False)
        for reuse in order:
            (afters if reuse else befores).append(run_notebook05(reuse))
    before, after = befores[0], afters[0]
    cells = [c for c in before["figures"] if before["figures"][c]]
    gaps = {c: figure_difference(before["figures"][c], after["figures"].get(c, [])) for c in cells}
    differ = [c for c, g in gaps.items() if not g["comparable"] or g["mean_levels"] > FIGURE_TOLERANCE]
    median = lambda runs, key: statistics.median(run[key] for run in runs)  # noqa: E731
    return {
        "rounds": rounds, "before_seconds": median(befores, "seconds"), "after_seconds": median(afters, "seconds"),
        "ratio": round(median(afters, "seconds") / median(befores, "seconds"), 4),
        "ratios_by_round": [round(a["seconds"] / b["seconds"], 4) for b, a in zip(befores, afters)],
        "before_cpu_seconds": median(befores, "cpu_seconds"), "after_cpu_seconds": median(afters, "cpu_seconds"),
        "cpu_ratio": round(median(afters, "cpu_seconds") / max(median(befores, "cpu_seconds"), 1e-9), 4),
        "ok": all(run["ok"] for run in befores + afters),
        "errors": [error for run in befores + afters for error in run["errors"]][:6],
        "cells_with_figures": len(cells), "figure_differences": gaps, "cells_whose_figures_differ": differ,
    }


def same_images(costs, size=(96, 128), steps=8) -> dict:
    """A few runs in a row, with and without kept compiled steps: identical images?"""
    from nst_utils.transfer import style_transfer

    runs = [{"beta": 40.0}, {"beta": 1000.0, "style": "mosaic.png"}, {"beta": 40.0, "tv_weight": 1e3}]
    worst = 0.0
    for options in runs:
        images = []
        for reuse in (False, True):
            chosen = {"style": config.DEFAULT_STYLE_IMAGE, **options}
            style = chosen.pop("style")
            result = style_transfer(config.DEFAULT_CONTENT_IMAGE, style, **costs, size=size,
                                    steps=steps, seed=0, progress=False, reuse_compiled=reuse, **chosen)
            images.append(result.image)
        worst = max(worst, float(np.abs(images[0] - images[1]).max()))
    return {"runs": len(runs), "max_abs_difference": worst, "identical": worst == 0.0}


def print_reuse(report: dict) -> None:
    for name in ("notebook04_reuse", "notebook05"):
        figures = report.get(name)
        if figures is None:
            continue
        if not figures.get("ok", True) or "error" in figures:
            print(f"{name}: FAILED {figures.get('errors') or figures.get('error')}")
            continue
        print(f"{name}: before (every run traced and painted afresh, TensorFlow's gradients) "
              f"{figures['before_seconds']:.1f} s, after (compiled steps, activations and identical runs kept, "
              f"the faster gradient) {figures['after_seconds']:.1f} s "
              f"-> ratio {figures['ratio']:.3f} "
              f"(target {'<= 0.5' if name == 'notebook05' else '<= 1'}); CPU seconds "
              f"{figures['before_cpu_seconds']:.1f} -> {figures['after_cpu_seconds']:.1f}, ratio {figures['cpu_ratio']:.3f}")
    if "notebook05" in report and report["notebook05"].get("ok"):
        n = report["notebook05"]
        if n["rounds"] > 1:
            print(f"notebook05: medians of {n['rounds']} rounds (ABBA order); after / before by round: "
                  f"{', '.join(f'{r:.3f}' for r in n['ratios_by_round'])}")
        gaps = [g for g in n["figure_differences"].values() if g["comparable"]]
        worst = max((g["mean_levels"] for g in gaps), default=0.0)
        largest = max((g["max_levels"] for g in gaps), default=0)
        print(f"notebook05 figures: {n['cells_with_figures']} cells with figures; before vs after, pixels differ by "
              f"{worst:.3f} levels on average in the worst cell (largest single difference {largest}); "
              f"differing by more than {FIGURE_TOLERANCE:g} level on average: {n['cells_whose_figures_differ'] or 'none'}")
    if "same_images" in report:
        i = report["same_images"]
        print(f"same seed, kept vs fresh steps: {i['runs']} runs, max |difference| {i['max_abs_difference']} "
              f"-> {'identical' if i['identical'] else 'NOT identical'}")


def measure_reuse(report: dict, costs, rounds: int = 1) -> None:
    """Notebook 04 (fresh processes) and notebook 05 (fresh kernels), before and after; identical images."""
    print("[reuse] identical images with and without kept steps ...", flush=True)
    report["same_images"] = same_images(costs)
    print("[reuse] notebook 04, fresh process: before, then after ...", flush=True)
    before, after = run_notebook04(reuse=False), run_notebook04(reuse=True)
    if "error" in before or "error" in after:
        report["notebook04_reuse"] = {"error": before.get("error") or after.get("error")}
    else:
        b, a = before["seconds_wall_including_python_start"], after["seconds_wall_including_python_start"]
        cpu_b, cpu_a = before["cpu_seconds"], after["cpu_seconds"]
        report["notebook04_reuse"] = {"before_seconds": round(b, 2), "after_seconds": round(a, 2),
                                      "ratio": round(a / b, 4), "before_cpu_seconds": cpu_b,
                                      "after_cpu_seconds": cpu_a, "cpu_ratio": round(cpu_a / max(cpu_b, 1e-9), 4),
                                      "after": after}
    print(f"[reuse] notebook 05, fresh kernel: before and after, {rounds} round(s) ...", flush=True)
    report["notebook05"] = compare_notebook05(rounds)


# ---------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--steps", type=int, default=100, help="baseline steps that set the target loss")
    parser.add_argument("--size", default="x".join(map(str, config.IMAGE_SIZE)), help="HEIGHTxWIDTH")
    parser.add_argument("--block", type=int, default=10, help="steps per timing block")
    parser.add_argument("--blocks", type=int, default=3, help="timing blocks of each")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="cap on our steps when chasing the baseline's loss (default: --steps)")
    parser.add_argument("--optimizer", default=None, help="override ours (default config.ENGINE_OPTIMIZER)")
    parser.add_argument("--lr", type=float, default=None, help="override ours (default config.ENGINE_LEARNING_RATE)")
    parser.add_argument("--init", default=None, help="override ours (default config.ENGINE_INIT)")
    parser.add_argument("--precision", default="float32", help="ours, for the time-to-loss run")
    parser.add_argument("--coarse-to-fine", type=float, nargs="*", default=None)
    parser.add_argument("--skip-notebook04", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="notebook 05 before and after this many times, in ABBA order (medians reported)")
    parser.add_argument("--only", choices=("all", "reuse"), default="all",
                        help="reuse: only notebook 04 and 05, before and after")
    args = parser.parse_args(argv)
    args.size = tuple(int(v) for v in args.size.lower().split("x"))
    return args


class Bench:
    """What every measurement shares: one VGG19, the reference costs, the images, one judge."""

    def __init__(self, size):
        import autograder.grading.reference as reference
        from nst_utils.features import FeatureExtractor
        from nst_utils.images import load_image
        from nst_utils.transfer import shared_vgg19

        self.size = size
        self.costs = {name: getattr(reference, name)  # the costs and the train_step the engine drives
                      for name in ("compute_content_cost", "compute_style_cost", "total_cost", "train_step")}
        # The engine's own network (what style_transfer paints with when given no model=,
        # so that its kept steps are measured as learners get them); the baseline uses it too.
        self.vgg = shared_vgg19("auto")
        layers = [name for name, _ in config.STYLE_LAYERS] + [config.CONTENT_LAYER]
        self.extractor = FeatureExtractor(layers, model=self.vgg, fast_gradient=False)  # the original recipe's
        self.content = load_image(config.DEFAULT_CONTENT_IMAGE, size=size)
        self.style = load_image(config.DEFAULT_STYLE_IMAGE, size=size)
        self._judge = self._make_judge()

    def _make_judge(self):
        """One float32 judge of every image: the course objective, untimed."""
        costs, extractor = self.costs, self.extractor
        a_C = extractor(self.content)[config.CONTENT_LAYER]
        a_S = extractor(self.style)

        @tf.function
        def judge(image):
            a_G = extractor(image)
            J_content = costs["compute_content_cost"](a_C, a_G[config.CONTENT_LAYER])
            J_style = costs["compute_style_cost"](a_S, a_G)
            return costs["total_cost"](J_content, J_style, alpha=config.ALPHA, beta=config.BETA)

        return judge

    def cost_of(self, image) -> float:
        return float(self._judge(tf.convert_to_tensor(image, tf.float32)))

    def describe(self) -> dict:
        return {
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs, TF {tf.__version__}",
            "weights": getattr(self.vgg, "weights_source", "?"),
            "size": list(self.size),
            "objective": (
                f"autograder.grading.reference costs; content {config.CONTENT_LAYER}, style "
                f"{[n for n, _ in config.STYLE_LAYERS]} x0.2; alpha={config.ALPHA:g}, beta={config.BETA:g}; "
                "preprocess_for_vgg; every compared J recomputed in float32 on the image"
            ),
            "baseline": (
                f"course TF2 recipe: content+U(-0.25,0.25) start, tf.function step, Adam(lr={config.LEARNING_RATE}, "
                f"beta_1={config.ADAM_BETA_1}, epsilon={config.ADAM_EPSILON}), clip to [0,1], float32"
            ),
            "baseline_step": "the reference train_step (notebook 04) in a tf.function",
        }


def measure_baseline(bench: Bench, report: dict, steps: int) -> Baseline:
    """1. The baseline: ``steps`` steps, its wall time and the loss it reaches."""
    print(f"[1/4] baseline, {steps} steps ...", flush=True)
    baseline = Baseline(bench.extractor, bench.content, bench.style, bench.costs, seed=0)
    with Phase() as memory:
        tick = time.perf_counter()
        baseline.start()
        baseline.times = baseline.steps(steps)
        baseline.wall = time.perf_counter() - tick
    baseline.target = bench.cost_of(baseline.generated)
    report["baseline_run"] = {
        "steps": steps, "wall_seconds": round(baseline.wall, 3),
        "first_step_seconds": round(baseline.times[0], 3), "J_after_steps": baseline.target,
        **memory.report(),
    }
    return baseline


def measure_step_times(bench: Bench, baseline: Baseline, report: dict, blocks: int, block: int) -> None:
    """2. Seconds per step, ours (engine defaults, float32) against the baseline, in alternating blocks."""
    from nst_utils.transfer import style_transfer

    print(f"[2/4] step times, {blocks} alternating blocks of {block} ...", flush=True)
    ours_blocks, base_blocks = [], list(baseline.times[1:])
    for index in range(blocks):
        # A new seed for each block: the same run again would be recalled, not painted, and
        # every block of ours would repeat the first one's times.
        result = style_transfer(bench.content, bench.style, **bench.costs, steps=block + 1,
                                progress=False, seed=index, precision="float32", coarse_to_fine=())
        seconds = result.history["seconds"]
        ours_blocks += [b - a for a, b in zip(seconds[1:], seconds[2:])] + [seconds[1] - seconds[0]]
        base_blocks += baseline.steps(block)
    ours_step, base_step = statistics.median(ours_blocks), statistics.median(base_blocks)
    report["step_seconds"] = {"ours_default_float32": round(ours_step, 4), "baseline": round(base_step, 4)}
    report["step_time_ratio"] = round(ours_step / base_step, 4)


def _chase_settings(args) -> dict:
    chase = {"steps": args.max_steps or args.steps, "save_every": 1, "progress": False, "seed": 0,
             "precision": args.precision}
    for key, value in (("optimizer", args.optimizer), ("learning_rate", args.lr), ("init", args.init),
                       ("coarse_to_fine", None if args.coarse_to_fine is None else tuple(args.coarse_to_fine))):
        if value is not None:
            chase[key] = value
    return chase


def measure_time_to_loss(bench: Bench, baseline: Baseline, report: dict, args) -> None:
    """3. Our wall time until our image's cost is at most the baseline's."""
    from nst_utils.transfer import style_transfer

    print("[3/4] ours, to the baseline's cost ...", flush=True)
    with Phase() as memory:
        result = style_transfer(bench.content, bench.style, **bench.costs, **_chase_settings(args))
    seconds = dict(zip(result.history["step"], result.history["seconds"]))
    reached = next((step for step, image in result.snapshots  # coarse stages are not candidates
                    if image.shape[1:3] == tuple(bench.size) and bench.cost_of(image) <= baseline.target), None)
    report["ours_run"] = {
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in result.settings.items()
                     if k in ("optimizer", "learning_rate", "init", "noise", "precision", "coarse_to_fine", "steps")},
        "steps_run": len(result.history["step"]), "wall_seconds": round(result.history["seconds"][-1], 3),
        "J_final": bench.cost_of(result.image), "reached_baseline_loss": reached is not None, **memory.report(),
    }
    report["time_to_loss_ratio"] = None
    if reached is not None:
        # Time until the end of the step that produced that image (history times are taken after each step).
        report["ours_run"].update(steps_to_baseline_loss=reached, seconds_to_baseline_loss=round(seconds[reached], 3))
        report["time_to_loss_ratio"] = round(seconds[reached] / baseline.wall, 4)


def print_generation(report: dict) -> None:
    """The baseline, step-time, time-to-loss and notebook 04 figures, readably."""
    height, width = report["size"]
    print(f"machine: {report['machine']}; VGG19 weights: {report['weights']}; size {height}x{width}")
    print(f"objective: {report['objective']}")
    print(f"baseline: {report['baseline']}")
    b = report["baseline_run"]
    print(f"  {b['steps']} steps in {b['wall_seconds']:.1f} s -> J = {b['J_after_steps']:.5g}; peak RSS {b['peak_rss_mib']} MiB")
    s = report["step_seconds"]
    print(f"step time: ours {s['ours_default_float32']:.3f} s, baseline {s['baseline']:.3f} s "
          f"-> step_time_ratio {report['step_time_ratio']:.3f} (target <= 1)")
    o = report["ours_run"]
    if o["reached_baseline_loss"]:
        print(f"ours {o['settings']}: J <= baseline's after {o['steps_to_baseline_loss']} steps, "
              f"{o['seconds_to_baseline_loss']:.1f} s -> time_to_loss_ratio {report['time_to_loss_ratio']:.3f} "
              f"(target <= 0.5); peak RSS {o['peak_rss_mib']} MiB")
    else:
        print(f"ours {o['settings']}: did not reach the baseline's J in {o['steps_run']} steps "
              f"(final J {o['J_final']:.5g})")
    n = report.get("notebook04")
    if n is not None and "error" in n:
        print("notebook 04 defaults: FAILED\n" + n["error"])
    elif n is not None:
        print(f"notebook 04 defaults: {n['steps']} steps at {n['size'][0]}x{n['size'][1]}: "
              f"{n['seconds_wall_including_python_start']:.1f} s from process start "
              f"({n['style_transfer_seconds']:.1f} s in style_transfer), J {n['first_J']:.4g} -> {n['final_J']:.4g} "
              "(target <= 90 s)")


def main(argv=None) -> int:
    args = parse_args(argv)
    bench = Bench(args.size)
    report: dict = bench.describe()
    if args.only == "all":
        baseline = measure_baseline(bench, report, args.steps)
        measure_step_times(bench, baseline, report, args.blocks, args.block)
        measure_time_to_loss(bench, baseline, report, args)
        if not args.skip_notebook04:
            print("[4/4] notebook 04 defaults, fresh process ...", flush=True)
            report["notebook04"] = run_notebook04()
            report["notebook04_seconds"] = report["notebook04"].get("seconds_wall_including_python_start")
    measure_reuse(report, bench.costs, args.rounds)
    if args.only == "all":
        print_generation(report)
    else:
        print(f"machine: {report['machine']}; VGG19 weights: {report['weights']}")
    print_reuse(report)
    if args.json:
        print(json.dumps(report, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
