"""The `kiemphieu` command: one entry point, one module per command group.

The commands of ../shared/contracts/cli.md (tally, ballots print, ballots read, minutes) are
a stable interface; everything else may grow.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each module exposes register(subparsers); its handlers import what they need lazily so
# `kiemphieu tally` never pays for Flask or OpenCV.
COMMAND_MODULES = [
    "kiemphieu.commands.tally_cmd",
    "kiemphieu.commands.ballots_cmd",
    "kiemphieu.commands.minutes_cmd",
    "kiemphieu.commands.web_cmd",
    "kiemphieu.commands.scan_cmd",
    "kiemphieu.commands.season_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiemphieu", description="Kiểm phiếu bầu cử trong Đảng")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except BrokenPipeError:
        # The reader went away (`kiemphieu tally ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
