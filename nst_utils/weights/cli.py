"""``python -m nst_utils.weights fetch|status``: get or inspect the VGG19 weights."""

from __future__ import annotations

import argparse
import sys

from nst_utils import config
from nst_utils.errors import WeightsError
from nst_utils.weights.checksum import cached_md5
from nst_utils.weights.download import fetch
from nst_utils.weights.finding import ORIGIN_ENV, _is_official_name, candidate_paths


def status_report() -> str:
    """Where weights are looked for, what is there, and which file would be used."""
    lines = ["VGG19 weights, in search order:"]
    chosen = None
    for number, (origin, path) in enumerate(candidate_paths(), start=1):
        if path is None:
            lines.append(f"  {number}. ${config.WEIGHTS_ENV_VAR}: not set")
            continue
        label = f"${config.WEIGHTS_ENV_VAR} = {path}" if origin == ORIGIN_ENV else str(path)
        if not path.is_file():
            lines.append(f"  {number}. {label}: not there")
            continue
        size = path.stat().st_size
        if origin != ORIGIN_ENV and _is_official_name(path):
            ok = cached_md5(path) == config.KERAS_WEIGHTS_MD5
            state = "MD5 verified" if ok else f"MD5 WRONG - delete it and run `{config.FETCH_WEIGHTS}`"
        else:
            state = "present (checked by structure when loaded)"
        lines.append(f"  {number}. {label}: {size / 1e6:.1f} MB, {state}")
        if chosen is None:
            chosen = label
    if chosen:
        lines.append(f'weights="imagenet" uses: {chosen}')
    else:
        lines.append('Nothing found: weights="auto" falls back to the offline network.')
        lines.append(f"Run {config.FETCH_HOWTO} to download.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nst_utils.weights", description="Get or inspect the VGG19 weights."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("fetch", help="download Keras's VGG19 weights and check them")
    get.add_argument("--dest", default=None, help=f"folder to put them in (default {config.PRETRAINED_DIR})")
    get.add_argument("--url", default=None, help="download from here instead of Keras's server")
    commands.add_parser("status", help="show where weights are looked for and what is there")
    args = parser.parse_args(argv)

    if args.command == "status":
        print(status_report())
        return 0
    try:
        path = fetch(args.dest, args.url)
    except WeightsError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nDownload interrupted; nothing was kept.", file=sys.stderr)
        return 130
    print(f"VGG19 weights ready: {path} (MD5 verified)")
    return 0

