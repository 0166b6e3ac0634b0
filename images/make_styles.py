"""Paint the course's three style images, deterministically.

Style transfer copies colours and textures at several scales, so each
picture here is built from strong palettes and marks of several sizes:

* ``swirls.png``      - brush strokes that follow a swirling flow field,
                        in night-sky blues with glowing yellow vortices;
* ``mosaic.png``      - stained glass: Voronoi tiles of coloured glass,
                        each glowing towards its middle, joined by dark lead;
* ``pointillism.png`` - a sunset over water painted only with dots of
                        (mostly unmixed) colour on a cream canvas.

Everything is drawn with NumPy and Pillow from fixed seeds, so running the
script again gives the same pixels.

Usage::

    python images/make_styles.py            # (re)write the PNGs next to this file
    python images/make_styles.py --out DIR  # write them somewhere else
    python images/make_styles.py --check    # repaint into a temporary folder and
                                            # confirm the committed files match

``--check`` compares pixels with a tolerance (see ``SAME_PICTURE``), not bytes:
``sin``, ``exp`` and ``arctan2`` may differ in their last bits between CPUs
and maths libraries, which can move the odd pixel, the end of a stroke or an
entry of the stored palette. Any change a viewer could see fails.

The pictures are original work of this course and share its licence (MIT).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent

#: Size of every style image, as (width, height) in Pillow's order.
WIDTH, HEIGHT = 512, 384

#: Colours kept when a picture is stored as an indexed PNG (keeps files small).
PNG_COLOURS = 160

#: ``--check``: a fresh painting is the committed picture when its pixels differ by at most
#: ``mean`` levels (of 255) on average and at most a ``share`` of pixels differ by more than
#: ``levels`` in a channel. Float noise 1e10 times larger than a unit in the last place
#: moved 0.004% of pixels (mean 0.002 levels); moving one palette colour by 4 levels
#: gives a mean of 0.9, another seed 35 or more.
SAME_PICTURE = {"mean": 0.1, "levels": 8, "share": 0.001}


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def _palette_lookup(palette: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linearly interpolate the rows of ``palette`` at positions ``t`` in [0, 1]."""
    t = np.clip(t, 0.0, 1.0) * (len(palette) - 1)
    lo = np.floor(t).astype(np.int64)
    hi = np.minimum(lo + 1, len(palette) - 1)
    frac = (t - lo)[..., None]
    return palette[lo] * (1.0 - frac) + palette[hi] * frac


def _smooth_noise(rng: np.random.Generator, cells: tuple[int, int]) -> np.ndarray:
    """Low-frequency noise in [0, 1], shape (HEIGHT, WIDTH): coarse random grid, upsampled."""
    small = (rng.random(cells[::-1]) * 255).astype(np.uint8)
    big = Image.fromarray(small, "L").resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.float64) / 255.0


def _rgb(colour: np.ndarray | tuple[float, float, float]) -> tuple[int, int, int]:
    """A colour as the integer triple Pillow draws with."""
    return tuple(int(min(255, max(0, round(float(c))))) for c in colour)  # type: ignore[return-value]


def _to_png(image: Image.Image, path: Path) -> None:
    """Store ``image`` as a compact indexed PNG (median-cut palette, no dithering)."""
    small = image.convert("RGB").quantize(
        colors=PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    small.save(path, format="PNG", optimize=True)


# ---------------------------------------------------------------------------
# swirls.png
# ---------------------------------------------------------------------------
#: Night-sky palette, dark to bright: hills, deep blues, cyan, cream, gold.
SWIRL_PALETTE = np.array(
    [
        (14, 28, 38),
        (22, 38, 92),
        (30, 62, 150),
        (52, 104, 190),
        (96, 158, 214),
        (168, 206, 222),
        (238, 228, 150),
        (244, 196, 52),
    ],
    dtype=np.float64,
)

#: Vortices: centre x, centre y, radius, strength (sign = turning direction).
SWIRL_VORTICES = (
    (150.0, 120.0, 95.0, 1.0),
    (360.0, 95.0, 70.0, -1.0),
    (430.0, 250.0, 60.0, 1.0),
    (250.0, 230.0, 55.0, -1.0),
)


def _swirl_fields() -> tuple[np.ndarray, np.ndarray]:
    """Flow angle and palette position at every pixel, both shape (HEIGHT, WIDTH)."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    # A wavy wind from left to right ...
    vx = np.ones_like(x)
    vy = 0.45 * np.sin(y / 38.0 + x / 85.0) + 0.25 * np.sin(x / 31.0)
    tone = 0.50 + 0.11 * np.sin(x / 63.0 + 1.7 * np.sin(y / 47.0)) + 0.08 * np.cos(y / 29.0 - x / 110.0)
    # ... bent round each vortex, whose core glows.
    for cx, cy, radius, strength in SWIRL_VORTICES:
        dx, dy = x - cx, y - cy
        dist = np.hypot(dx, dy) + 1e-6
        pull = strength * 3.0 * np.exp(-((dist / radius) ** 2))
        vx += pull * (-dy / dist)
        vy += pull * (dx / dist)
        tone += 0.55 * np.exp(-((dist / (0.42 * radius)) ** 2))
        tone += 0.12 * np.exp(-(((dist - 0.8 * radius) / (0.12 * radius)) ** 2))
    # Dark rolling hills along the bottom.
    horizon = HEIGHT * 0.80 + 14.0 * np.sin(x / 57.0) + 8.0 * np.sin(x / 23.0 + 1.0)
    hills = 1.0 / (1.0 + np.exp(-(y - horizon) / 4.0))
    vy = vy * (1.0 - hills) + 0.15 * np.sin(x / 40.0) * hills
    tone = tone * (1.0 - hills) + 0.06 * hills
    return np.arctan2(vy, vx), np.clip(tone, 0.0, 1.0)


def paint_swirls(seed: int = 1889) -> Image.Image:
    """Impasto-like strokes that follow a swirling flow field."""
    rng = np.random.default_rng(seed)
    angle, tone = _swirl_fields()
    colours = _palette_lookup(SWIRL_PALETTE, tone)

    # Underpainting: the colour field itself, softened, so gaps never show white.
    under = Image.fromarray(colours.astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(6))
    canvas = under.copy()
    draw = ImageDraw.Draw(canvas)

    # Broad strokes first, then medium, then fine: texture at three scales.
    layers = ((13, 9, 2200), (8, 9, 5200), (4, 7, 9000))
    for width, steps, count in layers:
        starts = rng.random((count, 2)) * (WIDTH, HEIGHT)
        jitter = rng.normal(0.0, 16.0, (count, 3))
        step_len = width * 0.95
        for (sx, sy), shift in zip(starts, jitter):
            px, py = float(sx), float(sy)
            points = [(px, py)]
            for _ in range(steps):
                ix = min(WIDTH - 1, max(0, int(px)))
                iy = min(HEIGHT - 1, max(0, int(py)))
                theta = float(angle[iy, ix])
                px += step_len * math.cos(theta)
                py += step_len * math.sin(theta)
                points.append((px, py))
            ix, iy = min(WIDTH - 1, max(0, int(sx))), min(HEIGHT - 1, max(0, int(sy)))
            base = colours[iy, ix] + shift
            points_i = [(round(a), round(b)) for a, b in points]
            # Shadowed edge, body, then a thin highlighted ridge.
            draw.line(points_i, fill=_rgb(base * 0.62), width=width, joint="curve")
            body = [(a - 1, b - 1) for a, b in points_i]
            draw.line(body, fill=_rgb(base), width=max(2, int(width * 0.62)), joint="curve")
            ridge = [(a - 2, b - 2) for a, b in points_i]
            draw.line(ridge, fill=_rgb(base * 0.7 + 255 * 0.3), width=max(1, width // 5))
    return canvas


# ---------------------------------------------------------------------------
# mosaic.png
# ---------------------------------------------------------------------------
#: Glass colours: ruby, amber, cobalt, emerald, violet, turquoise, gold.
GLASS_COLOURS = np.array(
    [
        (176, 22, 42),
        (226, 128, 22),
        (28, 58, 170),
        (22, 128, 74),
        (110, 40, 140),
        (24, 146, 160),
        (232, 192, 44),
    ],
    dtype=np.float64,
)

#: Ring families of a rose window, centre outwards (indices into GLASS_COLOURS).
ROSE_RINGS = ((6, 1), (0, 1), (2, 5), (0, 4), (2, 3))

LEAD_DARK = (24, 22, 28)
LEAD_LIGHT = (78, 74, 82)


def _nearest_seed(seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of, and distance to, the nearest seed for every pixel."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    pix = np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float64)
    labels = np.empty(len(pix), dtype=np.int64)
    dists = np.empty(len(pix), dtype=np.float64)
    for start in range(0, len(pix), 16384):
        chunk = pix[start : start + 16384]
        d2 = ((chunk[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
        idx = d2.argmin(axis=1)
        labels[start : start + 16384] = idx
        dists[start : start + 16384] = np.sqrt(d2[np.arange(len(chunk)), idx])
    return labels.reshape(HEIGHT, WIDTH), dists.reshape(HEIGHT, WIDTH)


def paint_mosaic(seed: int = 1250) -> Image.Image:
    """Stained glass: glowing Voronoi tiles in rose-window rings, dark leading."""
    rng = np.random.default_rng(seed)

    # Seeds on a jittered grid (tiles of similar size), then one Lloyd step.
    gx, gy = 17, 13
    cell = np.array([WIDTH / gx, HEIGHT / gy])
    grid = np.stack(np.meshgrid(np.arange(gx), np.arange(gy)), axis=-1).reshape(-1, 2)
    seeds = (grid + 0.5 + rng.uniform(-0.42, 0.42, grid.shape)) * cell
    labels, _ = _nearest_seed(seeds)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    counts = np.bincount(labels.ravel(), minlength=len(seeds)).astype(np.float64)
    keep = counts > 0
    cx = np.bincount(labels.ravel(), weights=x.ravel(), minlength=len(seeds))
    cy = np.bincount(labels.ravel(), weights=y.ravel(), minlength=len(seeds))
    seeds[keep] = np.stack([cx[keep] / counts[keep], cy[keep] / counts[keep]], axis=1)
    labels, dist = _nearest_seed(seeds)

    # Each tile's glass: ring family by distance from the window's centre.
    centre = np.array([WIDTH / 2, HEIGHT / 2])
    rel = seeds - centre
    radius = np.hypot(rel[:, 0], rel[:, 1]) / np.hypot(*centre)
    sector = (np.arctan2(rel[:, 1], rel[:, 0]) + math.pi) / (2 * math.pi) * 12
    ring = np.minimum((radius * len(ROSE_RINGS) * 1.05).astype(np.int64), len(ROSE_RINGS) - 1)
    tile_rgb = np.empty((len(seeds), 3))
    for i in range(len(seeds)):
        family = ROSE_RINGS[ring[i]]
        pick = family[(int(sector[i]) + ring[i]) % len(family)]
        if rng.random() < 0.18:  # the odd surprising pane
            pick = int(rng.integers(len(GLASS_COLOURS)))
        tile_rgb[i] = GLASS_COLOURS[pick] * rng.uniform(0.8, 1.12)

    # Glass glows towards the middle of each pane and is mottled by streaks.
    tile_size = np.sqrt(np.bincount(labels.ravel(), minlength=len(seeds)) / math.pi) + 1.0
    glow = 1.25 - 0.55 * np.clip(dist / tile_size[labels], 0.0, 1.2)
    mottle = 0.82 + 0.36 * _smooth_noise(rng, (40, 30))
    streaks = 0.93 + 0.07 * np.sin((x * 0.9 + y * 0.35) / 3.0 + 6.0 * _smooth_noise(rng, (16, 12)))
    glass = tile_rgb[labels] * (glow * mottle * streaks)[..., None]
    glass = glass + 40.0 * np.clip(glow - 1.05, 0.0, None)[..., None]  # hot centres
    image = Image.fromarray(np.clip(glass, 0, 255).astype(np.uint8), "RGB")

    # Lead cames where neighbouring pixels belong to different panes, and a frame.
    edge = np.zeros((HEIGHT, WIDTH), dtype=bool)
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[1:, :] |= labels[1:, :] != labels[:-1, :]
    edge[:3, :] = edge[-3:, :] = True
    edge[:, :3] = edge[:, -3:] = True
    thin = Image.fromarray((edge * 255).astype(np.uint8), "L")
    thick = thin.filter(ImageFilter.MaxFilter(5))
    soft = thick.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.GaussianBlur(1.2))
    shadow = Image.new("RGB", image.size, (0, 0, 0))
    image = Image.composite(shadow, image, soft.point(lambda v: v * 45 // 100))
    image.paste(LEAD_DARK, mask=thick)
    image.paste(LEAD_LIGHT, mask=thin.filter(ImageFilter.MinFilter(1)))
    return image


# ---------------------------------------------------------------------------
# pointillism.png
# ---------------------------------------------------------------------------
#: Pure hues laid side by side (divisionism): the eye mixes them.
DOT_HUES = np.array(
    [
        (240, 70, 40),
        (250, 150, 30),
        (250, 220, 60),
        (120, 190, 60),
        (30, 140, 90),
        (40, 110, 200),
        (90, 70, 180),
        (200, 80, 160),
        (250, 245, 225),
    ],
    dtype=np.float64,
)
CANVAS = (244, 236, 216)


def _sunset_scene() -> np.ndarray:
    """The underlying picture the dots sample: sky, sun, hills, sea, meadow."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    horizon = HEIGHT * 0.52
    sun_x, sun_y, sun_r = WIDTH * 0.62, horizon - 46.0, 30.0

    sky_t = np.clip(y / horizon, 0.0, 1.0)[..., None]
    sky = np.array((70, 80, 170)) * (1 - sky_t) + np.array((250, 170, 90)) * sky_t
    sun_d = np.hypot(x - sun_x, y - sun_y)
    halo = np.exp(-((sun_d / 110.0) ** 2))[..., None]
    sky = sky * (1 - 0.6 * halo) + np.array((255, 205, 100)) * 0.6 * halo
    sky = np.where((sun_d < sun_r)[..., None], np.array((255, 236, 130)), sky)

    ridge = horizon - 34 + 16 * np.sin(x / 53.0) + 9 * np.sin(x / 19.0 + 2.0)
    hills = (y > ridge)[..., None]
    scene = np.where(hills, np.array((120, 80, 150)), sky)

    water_t = np.clip((y - horizon) / (HEIGHT * 0.2), 0.0, 1.0)[..., None]
    water = np.array((230, 140, 100)) * (1 - water_t) + np.array((40, 90, 170)) * water_t
    glitter = np.exp(-(((x - sun_x) / (18.0 + 0.5 * (y - horizon))) ** 2))[..., None]
    glitter = glitter * (0.55 + 0.45 * np.sin(y / 2.3) ** 2)[..., None]
    water = water * (1 - glitter) + np.array((255, 215, 110)) * glitter
    scene = np.where((y > horizon)[..., None], water, scene)

    shore = HEIGHT * 0.76 - 20 * np.sin(x / 90.0 + 0.5) - 10 * np.sin(x / 33.0)
    meadow_t = np.clip((y - shore) / (HEIGHT - shore + 1), 0.0, 1.0)[..., None]
    meadow = np.array((150, 190, 70)) * (1 - meadow_t) + np.array((30, 110, 60)) * meadow_t
    return np.where((y > shore)[..., None], meadow, scene)


def paint_pointillism(seed: int = 1884) -> Image.Image:
    """A sunset over water made only of dots of colour."""
    rng = np.random.default_rng(seed)
    scene = _sunset_scene()
    canvas = Image.new("RGB", (WIDTH, HEIGHT), CANVAS)
    draw = ImageDraw.Draw(canvas)

    # Big sparse dabs first, then a dense layer of small dots on top.
    for radius, count in ((5, 3200), (3, 9000), (2, 7000)):
        centres = rng.random((count, 2)) * (WIDTH, HEIGHT)
        swaps = rng.random(count)
        picks = rng.integers(len(DOT_HUES), size=count)
        jitter = rng.normal(0.0, 14.0, (count, 3))
        sizes = rng.integers(-1, 2, size=count)
        for (cx, cy), swap, pick, shift, grow in zip(centres, swaps, picks, jitter, sizes):
            colour = scene[int(cy), int(cx)]
            if swap < 0.10:  # a pure accent hue, as the divisionists did
                colour = DOT_HUES[pick]
            elif swap < 0.45:  # the nearest pure hue instead of the mixed one
                colour = DOT_HUES[int(((DOT_HUES - colour) ** 2).sum(axis=1).argmin())]
            r = radius + int(grow)
            box = (round(cx) - r, round(cy) - r, round(cx) + r, round(cy) + r)
            draw.ellipse(box, fill=_rgb(colour + shift))
    return canvas


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
PAINTERS = {
    "swirls.png": paint_swirls,
    "mosaic.png": paint_mosaic,
    "pointillism.png": paint_pointillism,
}


def write_all(folder: Path) -> list[Path]:
    """Paint every style image into ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, paint in PAINTERS.items():
        path = folder / name
        _to_png(paint(), path)
        written.append(path)
    return written


def pixel_difference(a: Path, b: Path) -> str | None:
    """How two pictures differ beyond ``SAME_PICTURE``, in words; None when they are the same."""
    with Image.open(a) as first, Image.open(b) as second:
        if first.size != second.size:
            return f"size {first.size[0]}x{first.size[1]}, not {second.size[0]}x{second.size[1]}"
        one = np.asarray(first.convert("RGB"), dtype=np.int16)
        two = np.asarray(second.convert("RGB"), dtype=np.int16)
    gap = np.abs(one - two)
    mean, share = float(gap.mean()), float((gap.max(axis=-1) > SAME_PICTURE["levels"]).mean())
    if mean <= SAME_PICTURE["mean"] and share <= SAME_PICTURE["share"]:
        return None
    return (f"pixels differ by {mean:.3f} levels on average (at most {SAME_PICTURE['mean']}), "
            f"{share:.2%} by more than {SAME_PICTURE['levels']} levels "
            f"(at most {SAME_PICTURE['share']:.1%})")


def check(folder: Path = HERE) -> list[str]:
    """Repaint into a temporary folder; return a list of problems (empty when all match)."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for fresh in write_all(Path(tmp)):
            committed = folder / fresh.name
            if not committed.is_file():
                problems.append(f"{committed} is missing; run `python images/make_styles.py`.")
            elif committed.read_bytes() == fresh.read_bytes():
                continue
            elif difference := pixel_difference(committed, fresh):
                problems.append(
                    f"{committed} differs from what make_styles.py paints ({difference}); "
                    "run `python images/make_styles.py` and commit the result."
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    parser.add_argument(
        "--check", action="store_true", help="verify the files in --out match a fresh painting"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.out)
        for line in problems:
            print(line, file=sys.stderr)
        if not problems:
            print(f"All {len(PAINTERS)} style images match make_styles.py.")
        return 1 if problems else 0
    for path in write_all(args.out):
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
