"""How painted does an image look? Measures that use no neural network.

Every measure compares a picture with the style image or the content photo
using fixed, hand-made statistics, so it can judge images painted with any
network (pretrained, random or the offline one) without favouring it:

* :func:`colour_distance`: sliced Wasserstein distance between the RGB
  distributions (how far the colours are from the style's);
* :func:`texture_distance`: distance between Gram matrices of a fixed
  multi-scale bank of oriented Gaussian-derivative filters applied to the
  luminance (how far the strokes and textures are from the style's);
* :func:`structure_similarity`: SSIM of the luminance at low resolution
  (how much of the photo's layout is kept);
* :func:`high_frequency_energy`: energy of the finest detail (noise shows up here).

Images are NumPy arrays ``(H, W, 3)`` in [0, 1].
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Scales (pixels) and orientations (degrees) of the texture filter bank.
FILTER_SCALES = (1.0, 2.0, 4.0)
FILTER_ORIENTATIONS = (0.0, 45.0, 90.0, 135.0)
LUMA = np.array([0.299, 0.587, 0.114])


def luminance(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, np.float64)[..., :3] @ LUMA


def colour_distance(image: np.ndarray, style: np.ndarray, *, projections: int = 64,
                    samples: int = 20_000, seed: int = 0) -> float:
    """Sliced Wasserstein-1 distance between the two images' RGB distributions."""
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((projections, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    quantiles = (np.arange(samples) + 0.5) / samples

    def projected(img):
        pixels = np.asarray(img, np.float64).reshape(-1, 3)
        return np.quantile(pixels @ directions.T, quantiles, axis=0)

    return float(np.mean(np.abs(projected(image) - projected(style))))


def _oriented_responses(gray: np.ndarray) -> np.ndarray:
    """First and second Gaussian derivatives at each scale and orientation, rectified."""
    maps = []
    for sigma in FILTER_SCALES:
        dy = ndimage.gaussian_filter(gray, sigma, order=(1, 0))
        dx = ndimage.gaussian_filter(gray, sigma, order=(0, 1))
        dyy = ndimage.gaussian_filter(gray, sigma, order=(2, 0))
        dxx = ndimage.gaussian_filter(gray, sigma, order=(0, 2))
        dxy = ndimage.gaussian_filter(gray, sigma, order=(1, 1))
        for degrees in FILTER_ORIENTATIONS:
            c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
            first = (c * dx + s * dy) * sigma
            second = (c * c * dxx + 2 * c * s * dxy + s * s * dyy) * sigma**2
            maps += [np.maximum(first, 0), np.maximum(-first, 0),
                     np.maximum(second, 0), np.maximum(-second, 0)]
    return np.stack(maps).reshape(len(maps), -1)


def texture_gram(image: np.ndarray) -> np.ndarray:
    """Gram matrix (averaged over pixels) of the filter bank's responses to the luminance.

    Derivative filters ignore the mean brightness, so a colour transfer moves
    this only through contrast; strokes, their sizes and directions move it most."""
    responses = _oriented_responses(luminance(image))
    return responses @ responses.T / responses.shape[1]


def texture_distance(image: np.ndarray, style: np.ndarray) -> float:
    """Relative Frobenius distance between the filter-bank Gram matrices of the two."""
    g_image, g_style = texture_gram(image), texture_gram(style)
    return float(np.linalg.norm(g_image - g_style) / np.linalg.norm(g_style))


def _downsample(gray: np.ndarray, factor: int) -> np.ndarray:
    h, w = (gray.shape[0] // factor) * factor, (gray.shape[1] // factor) * factor
    return gray[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def structure_similarity(image: np.ndarray, photo: np.ndarray, *, factor: int = 4) -> float:
    """Mean SSIM of the luminance, both images shrunk ``factor`` times (layout, not detail)."""
    x = _downsample(luminance(image), factor)
    y = _downsample(luminance(photo), factor)
    blur = lambda a: ndimage.gaussian_filter(a, 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(ssim.mean())


def high_frequency_energy(image: np.ndarray) -> float:
    """Mean squared difference between the luminance and its slightly blurred self."""
    gray = luminance(image)
    return float(np.mean((gray - ndimage.gaussian_filter(gray, 1.0)) ** 2))


def measure(image: np.ndarray, photo: np.ndarray, style: np.ndarray) -> dict[str, float]:
    """All four measures of ``image`` (``style`` must have the image's size)."""
    return {
        "colour": colour_distance(image, style),
        "texture": texture_distance(image, style),
        "ssim": structure_similarity(image, photo),
        "hf_ratio": high_frequency_energy(image) / high_frequency_energy(style),
    }
