"""`kiemphieu ballots print` and `kiemphieu ballots read` (contract sections 3 and 4)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("ballots", help="print ballots, read scanned ballots")
    commands = parser.add_subparsers(dest="ballots_command", required=True, metavar="ACTION")

    printer = commands.add_parser("print", help="write the printable ballot PDF and its layout JSON")
    printer.add_argument("election", help="election JSON (kiemphieu/election-1)")
    printer.add_argument("--out", required=True, help="the ballot PDF to write (one page per ballot)")
    printer.add_argument("--layout", required=True, help="the layout JSON to write (kiemphieu/layout-1)")
    printer.add_argument("--copies", type=_positive, default=1, help="number of pages (default 1)")
    printer.set_defaults(handler=run_print)

    reader = commands.add_parser("read", help="read scanned ballots, one JSON line per ballot")
    reader.add_argument("election", help="election JSON (kiemphieu/election-1)")
    reader.add_argument("images", nargs="+", metavar="IMAGE",
                        help="PNG, JPEG, TIFF (multi-page) or PDF files")
    reader.add_argument("--profile", default=None,
                        help="scanner profile: a name in scanner_profiles/ or a path to a TOML file")
    reader.set_defaults(handler=run_read)


def _positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError("must be between 1 and 100000")
    return value


def _load_election(path: str, command: str):
    from kiemphieu.tally import InputError, load_election

    try:
        return load_election(path)
    except InputError as exc:
        print(f"kiemphieu ballots {command}: {exc}", file=sys.stderr)
        return None


def _write(path: str, data: bytes) -> None:
    target = Path(path)
    temporary = target.with_name(target.name + ".part")
    temporary.write_bytes(data)
    temporary.replace(target)


def run_print(args) -> int:
    election = _load_election(args.election, "print")
    if election is None:
        return 2
    from kiemphieu.ocr.geometry import LayoutError, layout_for
    from kiemphieu.ocr.printing import render_layout_pdf

    try:
        layout = layout_for(election)
    except LayoutError as exc:
        print(f"kiemphieu ballots print: {args.election}: {exc}", file=sys.stderr)
        return 2
    try:
        _write(args.out, render_layout_pdf(layout, args.copies))
        text = json.dumps(layout.to_json(), ensure_ascii=False, indent=2) + "\n"
        _write(args.layout, text.encode("utf-8"))
    except OSError as exc:
        print(f"kiemphieu ballots print: cannot write: {exc}", file=sys.stderr)
        return 2
    return 0


def run_read(args) -> int:
    election = _load_election(args.election, "read")
    if election is None:
        return 2
    from kiemphieu.ocr.geometry import LayoutError, layout_for
    from kiemphieu.ocr.profiles import ProfileError, load_profile
    from kiemphieu.ocr.reader import read_file

    try:
        profile = load_profile(args.profile)
        layout_for(election)
    except (ProfileError, LayoutError) as exc:
        print(f"kiemphieu ballots read: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    for image in args.images:
        for reading in read_file(image, election, profile):
            out.write(json.dumps(reading.to_json(), ensure_ascii=False) + "\n")
        out.flush()
    return 0
