"""Command line: `python -m fresh_viz COMMAND`, one module per command.

Each command module has HELP, `add_arguments(parser)` and `run(args, device)`,
which returns (JSON object, human text) or, for a command that keeps running,
an exit code.  With --json a command prints one JSON object, readable text
otherwise.  Bad input or arguments: exit code 2 and one line on stderr, never a
traceback.
"""

from __future__ import annotations

import json
import sys

from ..device import pick_device
from ..signals import SignalError
from . import bench, fit, merge, outputs, select, serve, study
from .common import Parser, UsageError

COMMANDS = {"select": select, "study": study, "fit": fit, "outputs": outputs, "merge": merge, "serve": serve,
            "bench": bench}


def build_parser() -> Parser:
    parser = Parser(prog="python -m fresh_viz", description="FreSh: pick INR embedding hyperparameters "
                    "by matching the untrained model's spectrum to the signal's.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, module in COMMANDS.items():
        module.add_arguments(commands.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:  # bare `python -m fresh_viz`: say what there is
            parser.print_help()
            return 2
        device = pick_device(args.device)
        result = COMMANDS[args.command].run(args, device)
    except (UsageError, SignalError, ValueError) as err:
        print(f"fresh_viz: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a results file or folder that cannot be written, a disk that is full
        print(f"fresh_viz: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fresh_viz: interrupted", file=sys.stderr)
        return 130
    if isinstance(result, int):
        return result
    out, text = result
    print(json.dumps(out) if getattr(args, "json", False) else text)
    return 0
