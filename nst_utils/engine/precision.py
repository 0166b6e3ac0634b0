"""bfloat16 arithmetic: does this machine have it natively, and what a run asking for it gets."""

from __future__ import annotations

from nst_utils._tf import tf

__all__ = ["bfloat16_supported", "resolve_precision"]


def _gpu_has_bfloat16(gpu) -> bool:
    try:
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
    except Exception:  # pragma: no cover - depends on the driver
        capability = None
    return bool(capability and tuple(capability) >= (8, 0))


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def bfloat16_supported() -> bool:
    """True when this machine computes in bfloat16 natively (a recent GPU, or a CPU with AVX512-BF16/AMX)."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return _gpu_has_bfloat16(gpus[0])
    return bool(_cpu_flags() & {"avx512_bf16", "amx_bf16"})


def resolve_precision(precision: str) -> str:
    """``"float32"`` or ``"bfloat16"``: what a run asking for ``precision`` (already checked) computes in.

    Asking for bfloat16 on a machine without it prints a note and gives float32
    (emulated bfloat16 would be slower, not faster).
    """
    if precision == "float32":
        return "float32"
    if bfloat16_supported():
        return "bfloat16"
    if precision == "bfloat16":
        print(
            "Note: this processor has no native bfloat16 arithmetic (it would be slower, "
            "not faster), so this run uses float32.",
            flush=True,
        )
    return "float32"
