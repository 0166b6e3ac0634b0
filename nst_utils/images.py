"""Reading, writing and showing images for Neural Style Transfer.

Every image in the course travels as a ``float32`` tensor of shape
``(1, height, width, 3)`` with values between 0 and 1: a batch of one RGB
picture, which is what VGG19 (after its own preprocessing) expects.

Typical use in a notebook::

    from nst_utils.images import load_image, show_images, save_image

    content = load_image("coffee.jpg", size=(300, 400))   # found in images/
    style = load_image("swirls.png", size=(300, 400))
    show_images([content, style], ["content", "style"])
    save_image(content, "output/content.png")

A bare file name such as ``"coffee.jpg"`` is looked up in the current folder
first and, if it is not there, in the course's ``images/`` folder, so the
shipped pictures work from any notebook. Anything that goes wrong raises
:class:`nst_utils.errors.ImageError` with a message that names the file and
says what to try next.
"""

from __future__ import annotations

import numbers
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from nst_utils import config
from nst_utils._tf import tf
from nst_utils.errors import ImageError

__all__ = [
    "load_image",
    "save_image",
    "tensor_to_image",
    "clip_0_1",
    "show_images",
    "course_images",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Formats ``load_image`` will open (Pillow's names; "JPEG" also covers the
#: MPO photos some cameras write). Others are refused, so a stray file is
#: never handed to an unusual decoder.
READ_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")

#: File suffixes of readable images (used to list what is in ``images/``).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")

#: How ``save_image`` writes each suffix: (Pillow format, extra save options).
WRITE_FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    ".png": ("PNG", {}),
    ".jpg": ("JPEG", {"quality": 95}),
    ".jpeg": ("JPEG", {"quality": 95}),
    ".webp": ("WEBP", {"quality": 95}),
    ".bmp": ("BMP", {}),
}

_TRANSPARENT_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}


# ---------------------------------------------------------------------------
# Finding files
# ---------------------------------------------------------------------------
def course_images() -> dict[str, Path]:
    """The pictures shipped in the course's ``images/`` folder.

    Returns:
        A dict from file name (e.g. ``"coffee.jpg"``) to its full path, sorted
        by name. Any of these names can be passed straight to :func:`load_image`.
    """
    folder = Path(config.IMAGES_DIR)
    if not folder.is_dir():
        return {}
    found = (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return {p.name: p for p in sorted(found, key=lambda p: p.name)}


def _available_hint() -> str:
    names = list(course_images())
    if not names:
        return ""
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f" Images that ship with the course (pass just the name): {shown}."


def _resolve(path: PathLike) -> Path:
    """``path`` itself if it exists; a bare name is also looked up in ``images/``."""
    given = Path(path).expanduser()
    if given.exists():
        return given
    if not given.is_absolute() and len(given.parts) == 1:
        shipped = Path(config.IMAGES_DIR) / given
        if shipped.exists():
            return shipped
    return given


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def _check_size_argument(size: Any) -> int | tuple[int, int] | None:
    """Validate ``size``; return None, an int, or an (height, width) pair."""

    def whole(value: Any) -> bool:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    problem = (
        "size must be None (keep the image's own size), a positive whole number "
        "(the longest side, in pixels; the aspect ratio is kept) or a pair "
        f"(height, width) of positive whole numbers; got {size!r}."
    )
    if size is None:
        return None
    if whole(size):
        sides: tuple[int, ...] = (int(size),)
    elif isinstance(size, (tuple, list)) and len(size) == 2 and all(whole(s) for s in size):
        sides = (int(size[0]), int(size[1]))
    else:
        raise ImageError(problem)
    if any(s <= 0 for s in sides):
        raise ImageError(problem)
    if any(s < config.MIN_IMAGE_SIDE for s in sides):
        raise ImageError(
            f"size={size!r} asks for a side shorter than {config.MIN_IMAGE_SIDE} pixels; "
            f"VGG19 needs at least {config.MIN_IMAGE_SIDE} pixels on each side "
            "(config.MIN_IMAGE_SIDE). Ask for a larger size."
        )
    return sides[0] if len(sides) == 1 else (sides[0], sides[1])


def _target_shape(
    height: int, width: int, size: int | tuple[int, int] | None, where: str
) -> tuple[int, int]:
    """The (height, width) to resize to, given a validated ``size``."""
    if size is None:
        return height, width
    if isinstance(size, tuple):
        return size
    scale = size / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    if min(new_h, new_w) < config.MIN_IMAGE_SIDE:
        raise ImageError(
            f"{where} is {width}x{height} pixels (width x height); with its longest side "
            f"scaled to {size} px the short side would be only {min(new_h, new_w)} px, but "
            f"VGG19 needs at least {config.MIN_IMAGE_SIDE}. Ask for a larger size, or a "
            "(height, width) pair."
        )
    return new_h, new_w


def _to_float_rgb(image: Image.Image) -> np.ndarray:
    """Any Pillow image as a float32 (H, W, 3) array in [0, 1]; transparency over white."""
    mode = image.mode
    if mode in _SIXTEEN_BIT_MODES:
        grey = np.asarray(image).astype(np.float32) / 65535.0
        return np.repeat(np.clip(grey, 0.0, 1.0)[..., None], 3, axis=2)
    if mode == "F":
        grey = np.asarray(image, dtype=np.float32)
        if grey.size and np.nanmax(grey) > 1.0:  # floats stored on a 0-255 scale
            grey = grey / 255.0
        return np.repeat(np.clip(np.nan_to_num(grey), 0.0, 1.0)[..., None], 3, axis=2)
    if mode in _TRANSPARENT_MODES or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3:4]
        return rgba[..., :3] * alpha + (1.0 - alpha)  # composite on white
    if mode != "RGB":
        image = image.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV, ...
    return np.asarray(image, dtype=np.float32) / 255.0


def _resize(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize an (H, W, 3) float array: Lanczos when shrinking, bicubic when enlarging."""
    old_h, old_w = array.shape[:2]
    if (old_h, old_w) == (height, width):
        return array
    shrinking = height <= old_h and width <= old_w
    method = Image.Resampling.LANCZOS if shrinking else Image.Resampling.BICUBIC
    channels = []
    for c in range(3):
        plane = Image.fromarray(np.ascontiguousarray(array[..., c]), "F")
        channels.append(np.asarray(plane.resize((width, height), method)))
    return np.clip(np.stack(channels, axis=2), 0.0, 1.0).astype(np.float32)


def _open_checked(path: Path, where: str) -> Image.Image:
    """Open ``path`` lazily and vet the header; raise ImageError for anything wrong."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=READ_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(_too_big_message(where, None)) from exc
    except PermissionError as exc:
        raise ImageError(
            f"Cannot read {where}: permission denied. Check the file's permissions, or copy "
            "it somewhere you can read it."
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            f"{where} is not an image this course can read (JPEG, PNG, WebP, BMP, GIF or "
            "TIFF), or it is damaged. Open it in an image viewer to check, and re-save it "
            "as PNG or JPEG if needed."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"{where} could not be opened as an image ({exc}). It may be damaged or "
            "incomplete: download or export it again."
        ) from exc
    width, height = image.size
    if width * height > config.MAX_IMAGE_PIXELS:
        image.close()
        raise ImageError(_too_big_message(where, (width, height)))
    if width <= 0 or height <= 0:
        image.close()
        raise ImageError(
            f"{where} says it is {width}x{height} pixels, which is empty. Use another image."
        )
    return image


def _too_big_message(where: str, size: tuple[int, int] | None) -> str:
    dims = f" is {size[0]}x{size[1]} = {size[0] * size[1]:,} pixels, which" if size else ""
    return (
        f"{where}{dims} is larger than the {config.MAX_IMAGE_PIXELS:,} pixels this course "
        "will decode (config.MAX_IMAGE_PIXELS), so it was not opened: a file this big could "
        "exhaust memory, and style transfer works on a few hundred pixels per side anyway. "
        "Shrink it with an image editor first (e.g. to about 1000 pixels across)."
    )


def load_image(path: PathLike, size: int | tuple[int, int] | None = None) -> tf.Tensor:
    """Read an image file as a float32 tensor of shape ``(1, H, W, 3)`` in [0, 1].

    Args:
        path: The image file: JPEG, PNG, WebP or BMP (GIF and TIFF also work;
            for animations only the first frame is used). A bare name such as
            ``"coffee.jpg"`` that does not exist in the current folder is looked
            up in the course's ``images/`` folder (``config.IMAGES_DIR``), so
            the shipped pictures load from any notebook. See
            :func:`course_images` for the list.
        size: ``None`` keeps the image's own size; an ``int`` scales it so its
            longest side has that many pixels, keeping the aspect ratio; a pair
            ``(height, width)`` resizes to exactly that shape. Sides must be at
            least ``config.MIN_IMAGE_SIDE`` pixels, the least VGG19 accepts.
            Shrinking uses Lanczos filtering, enlarging uses bicubic.

    Returns:
        A ``tf.float32`` tensor of shape ``(1, height, width, 3)``: a batch of
        one RGB image with values between 0 and 1.

    Any kind of picture is turned into plain RGB: grey-scale and palette
    images are expanded to three channels, transparent areas are laid over a
    white background, 16-bit images are scaled from 0..65535 to 0..1, CMYK is
    converted to RGB, and a photo's EXIF orientation tag is applied so that
    the picture comes out the right way up. The file itself is never changed.

    Raises:
        ImageError: if the file is missing, is a folder, is empty, is not an
            image or is damaged, is larger than ``config.MAX_IMAGE_PIXELS``
            pixels (checked before decoding), or if ``size`` is not valid. The
            message names the file and says what to do.
    """
    wanted = _check_size_argument(size)
    resolved = _resolve(path)
    where = f"'{path}'" if Path(path) == resolved else f"'{path}' ({resolved})"
    _check_readable_file(path, resolved, where)
    pixels = _decode(resolved, where)
    height, width = pixels.shape[:2]
    new_h, new_w = _target_shape(height, width, wanted, where)
    pixels = _resize(pixels, new_h, new_w)
    return tf.convert_to_tensor(pixels[None, ...], dtype=tf.float32)


def _check_readable_file(path: PathLike, resolved: Path, where: str) -> None:
    """Refuse, with a message that says what to do, a path that is no image file to read."""
    if not resolved.exists():
        raise ImageError(
            f"Image file not found: '{path}' (looked for {Path(path).expanduser().absolute()}"
            + (
                f" and {Path(config.IMAGES_DIR) / Path(path).name}"
                if len(Path(path).parts) == 1
                else ""
            )
            + "). Check the spelling and the folder; paths are relative to the folder "
            f"Python runs in ({Path.cwd()})." + _available_hint()
        )
    if resolved.is_dir():
        inside = sorted(p.name for p in resolved.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        example = f" For example: '{resolved / inside[0]}'." if inside else ""
        raise ImageError(
            f"{where} is a folder, not an image file. Pass the path of one image inside "
            f"it.{example}"
        )
    try:
        empty = resolved.stat().st_size == 0
    except OSError as exc:
        raise ImageError(f"Cannot read {where}: {exc}.") from exc
    if empty:
        raise ImageError(
            f"{where} is empty (0 bytes): it may not have finished downloading or "
            "saving. Replace it with the real image."
        )


def _decode(resolved: Path, where: str) -> np.ndarray:
    """The file's pixels as float RGB in [0, 1], the right way up (size checked first)."""
    image = _open_checked(resolved, where)
    try:
        with image:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    image.load()
                    upright = ImageOps.exif_transpose(image)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise ImageError(_too_big_message(where, image.size)) from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise ImageError(
                    f"{where} is damaged or incomplete and could not be decoded ({exc}). "
                    "Download or export it again, or open it in an image viewer to check."
                ) from exc
            return _to_float_rgb(upright)
    except MemoryError as exc:  # pragma: no cover - depends on the machine
        raise ImageError(f"{where} is too large to decode in the memory available.") from exc


# ---------------------------------------------------------------------------
# Converting and writing
# ---------------------------------------------------------------------------
def clip_0_1(t: Any) -> tf.Tensor:
    """Clip every value of ``t`` into [0, 1] (``tf.clip_by_value(t, 0, 1)``).

    Used after each optimisation step to keep the generated image a valid
    picture, e.g. ``generated.assign(clip_0_1(generated))``.
    """
    return tf.clip_by_value(t, 0.0, 1.0)


def _to_uint8_rgb(image: Any, what: str = "image") -> np.ndarray:
    """A tensor, array or Pillow image as a uint8 (H, W, 3) array."""
    if isinstance(image, Image.Image):
        special = _TRANSPARENT_MODES | _SIXTEEN_BIT_MODES | {"F"}
        if image.mode in special or "transparency" in image.info:
            array = _to_float_rgb(image)
        else:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    else:
        if hasattr(image, "numpy"):  # tf.Tensor, tf.Variable
            image = image.numpy()
        array = np.asarray(image)
    if array.ndim == 4:
        if array.shape[0] != 1:
            raise ImageError(
                f"The {what} is a batch of {array.shape[0]} images (shape {array.shape}); "
                "pass one image, e.g. images[0] or images[i:i+1]."
            )
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ImageError(
            f"The {what} has shape {array.shape}; expected (1, height, width, 3) or "
            "(height, width, 3)."
        )
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    elif array.shape[2] == 4:
        array = array[..., :3]
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if not np.issubdtype(array.dtype, np.number) and array.dtype != np.bool_:
        raise ImageError(f"The {what} holds {array.dtype} values; expected numbers in [0, 1].")
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise ImageError(
            f"The {what} contains NaN or infinite values, so it cannot be turned into a "
            "picture. If it came out of an optimisation, the learning rate may be too high."
        )
    return np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)


def tensor_to_image(t: Any) -> Image.Image:
    """Turn an image tensor into a Pillow image (8-bit RGB).

    Args:
        t: A tensor, ``tf.Variable`` or NumPy array of shape ``(1, H, W, 3)``
            or ``(H, W, 3)`` with values in [0, 1]. Values outside are clipped,
            then scaled to 0..255 and rounded. (A ``uint8`` array is taken to be
            on the 0..255 scale already.)

    Returns:
        A ``PIL.Image.Image`` in mode ``"RGB"``, ``W`` pixels wide and ``H`` high.
    """
    return Image.fromarray(_to_uint8_rgb(t), "RGB")


def save_image(image: Any, path: PathLike, *, overwrite: bool = True) -> Path:
    """Write an image to ``path``; the format follows the suffix.

    Args:
        image: A tensor or array of shape ``(1, H, W, 3)`` or ``(H, W, 3)``
            with values in [0, 1] (they are clipped), or a Pillow image.
        path: Where to write. The suffix picks the format: ``.png``, ``.jpg``/
            ``.jpeg``, ``.webp`` or ``.bmp``. Missing parent folders are created.
        overwrite: When False and ``path`` already exists, nothing is written
            and an :class:`ImageError` is raised.

    Returns:
        ``path`` as a :class:`pathlib.Path`.

    The picture is first written to a temporary file in the same folder and
    then moved into place in one step, so an interrupted save never leaves a
    half-written image behind (and never damages an existing one).
    """
    target = Path(path).expanduser()
    _check_writable_target(path, target, overwrite)
    pixels = Image.fromarray(_to_uint8_rgb(image), "RGB")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(f"Cannot create the folder for '{path}': {exc}.") from exc
    _write_atomically(pixels, target, path, overwrite)
    return target


def _check_writable_target(path: PathLike, target: Path, overwrite: bool) -> None:
    """Refuse, saying what to do, a path with an unknown suffix, a folder, or a file to keep."""
    if target.suffix.lower() not in WRITE_FORMATS:
        known = ", ".join(WRITE_FORMATS)
        raise ImageError(
            f"Cannot save '{path}': unknown file type '{target.suffix or '(no suffix)'}'. "
            f"End the file name with one of {known}."
        )
    if target.is_dir():
        raise ImageError(
            f"Cannot save to '{path}': it is a folder. Add a file name, "
            f"e.g. '{target / 'result.png'}'."
        )
    if not overwrite and target.exists():
        raise ImageError(
            f"'{path}' already exists and overwrite=False, so it was left untouched. "
            "Choose another name, or pass overwrite=True to replace it."
        )


def _write_atomically(pixels, target: Path, path: PathLike, overwrite: bool) -> None:
    """Write to a temporary file beside ``target``, then move it into place in one step."""
    fmt, options = WRITE_FORMATS[target.suffix.lower()]
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            pixels.save(stream, format=fmt, **options)
            stream.flush()
            os.fsync(stream.fileno())
        _set_permissions(temp, target)
        if overwrite:
            os.replace(temp, target)
        else:
            _move_without_replacing(temp, target, path)
    except ImageError:
        raise
    except OSError as exc:
        raise ImageError(f"Could not write '{path}': {exc}.") from exc
    finally:
        temp.unlink(missing_ok=True)


def _set_permissions(temp: Path, target: Path) -> None:
    """Give the new file the old file's permissions, or the usual ones for a new file."""
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(temp, mode)
    except OSError:  # pragma: no cover - e.g. file systems without permissions
        pass


def _move_without_replacing(temp: Path, target: Path, shown: PathLike) -> None:
    """Move ``temp`` to ``target`` only if ``target`` does not exist (atomically where possible)."""
    try:
        os.link(temp, target)  # fails if target appeared in the meantime
    except FileExistsError as exc:
        raise ImageError(
            f"'{shown}' already exists and overwrite=False, so it was left untouched. "
            "Choose another name, or pass overwrite=True to replace it."
        ) from exc
    except OSError:  # hard links not supported here: check, then move
        if target.exists():
            raise ImageError(
                f"'{shown}' already exists and overwrite=False, so it was left untouched."
            ) from None
        os.replace(temp, target)


# ---------------------------------------------------------------------------
# Showing
# ---------------------------------------------------------------------------
def _as_image_list(images: Any) -> tuple[list[Any], list[str] | None]:
    """Split ``images`` into a list of single images (and titles, if a dict)."""
    if isinstance(images, Mapping):
        return list(images.values()), [str(k) for k in images]
    if isinstance(images, Image.Image):
        return [images], None
    if isinstance(images, Sequence) and not isinstance(images, (str, bytes)):
        return list(images), None
    array = images.numpy() if hasattr(images, "numpy") else np.asarray(images)
    if array.ndim == 4:  # a batch: one panel per image
        return [array[i] for i in range(array.shape[0])], None
    return [array], None


def show_images(
    images: Any,
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    figsize: tuple[float, float] | None = None,
    suptitle: str | None = None,
):
    """Show images side by side in a grid, each with its title.

    Args:
        images: A list of images (tensors or arrays of shape ``(1, H, W, 3)`` or
            ``(H, W, 3)`` in [0, 1], or Pillow images), a single image, a batch
            tensor ``(N, H, W, 3)``, or a dict ``{title: image}``.
        titles: One title per image (optional).
        ncols: Images per row; by default all on one row, up to 4 per row.
        figsize: Figure size in inches; by default about 4 inches per image.
        suptitle: A title for the whole figure.

    Returns:
        The ``matplotlib.figure.Figure``. In Jupyter it appears below the cell
        (end the line with ``;`` if it shows twice); in a script call
        ``matplotlib.pyplot.show()`` or ``fig.savefig(...)``.
    """
    import matplotlib.pyplot as plt

    panels, dict_titles = _as_image_list(images)
    if not panels:
        raise ImageError("show_images got no images to show.")
    if titles is None:
        titles = dict_titles
    elif isinstance(titles, str):
        titles = [titles]
    if titles is not None and len(titles) != len(panels):
        raise ImageError(
            f"show_images got {len(panels)} image(s) but {len(titles)} title(s); "
            "give one title per image."
        )
    if ncols is None:
        ncols = min(len(panels), 4)
    if not isinstance(ncols, numbers.Integral) or ncols < 1:
        raise ImageError(f"ncols must be a positive whole number; got {ncols!r}.")
    ncols = min(int(ncols), len(panels))
    nrows = -(-len(panels) // ncols)
    if figsize is None:
        figsize = (4.0 * ncols, 4.0 * nrows + (0.4 if suptitle else 0.0))

    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    for index, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if index >= len(panels):
            continue
        ax.imshow(_to_uint8_rgb(panels[index], what=f"image number {index}"))
        if titles is not None:
            ax.set_title(str(titles[index]))
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
