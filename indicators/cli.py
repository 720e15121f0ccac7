"""Command line of the registry: ``python -m indicators validate|export|status|draft``.

Every subcommand sets ``func(args) -> int`` (the exit code). Exit codes:
0 ok, 1 invalid registry or I/O failure, 2 bad arguments.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

from . import export
from .registry import SCHEMES_DIR, Registry, RegistryInvalid, load_registry

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _load(directory) -> Optional[Registry]:
    """The registry, or None after printing every error to stderr."""
    try:
        return load_registry(directory)
    except RegistryInvalid as exc:
        print(f"INVALID: {len(exc.errors)} error(s) in {directory}", file=sys.stderr)
        for err in exc.errors:
            print(f"  {err}", file=sys.stderr)
        return None


def cmd_validate(args: argparse.Namespace) -> int:
    reg = _load(args.dir)
    if reg is None:
        return EXIT_INVALID
    print(f"OK: {len(reg.schemes)} schemes, {len(reg.indicators)} indicators")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    if args.format == "xlsx" and not args.out:
        print("error: --format xlsx writes a binary file: give --out FILE.xlsx", file=sys.stderr)
        return EXIT_USAGE
    reg = _load(args.dir)
    if reg is None:
        return EXIT_INVALID
    if args.scheme is not None and args.scheme not in reg.schemes:
        print(f"error: unknown scheme {args.scheme!r} (registry has: {', '.join(sorted(reg.schemes))})",
              file=sys.stderr)
        return EXIT_USAGE
    writer = export.WRITERS[args.format]
    try:
        if args.out:
            writer(reg, args.out, args.scheme)
        else:
            sys.stdout.flush()
            # Bytes to stdout so the encoding (and the CSV BOM) does not depend on the locale.
            stream = getattr(sys.stdout, "buffer", sys.stdout)
            writer(reg, stream, args.scheme)
            stream.flush()
    except OSError as exc:
        print(f"error: cannot write {args.out or 'stdout'}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.out:
        n = len(reg.scheme_indicators(args.scheme)) if args.scheme else len(reg.indicators)
        print(f"wrote {n} indicators to {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_draft(args: argparse.Namespace) -> int:
    """Propose candidates from a scheme document (indicators.draft); bad input: a Chinese message, exit 1."""
    import json

    import yaml

    from .draft import DraftInputError, draft_file
    try:
        draft = draft_file(args.file)
    except DraftInputError as exc:
        print(f"错误:{exc}", file=sys.stderr)
        return EXIT_INVALID
    data = draft.to_dict()
    if args.format == "yaml":
        out = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    else:
        out = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    sys.stdout.flush()
    stream = getattr(sys.stdout, "buffer", None)
    if stream is not None:  # UTF-8 whatever the locale
        stream.write(out.encode("utf-8"))
        stream.flush()
    else:
        sys.stdout.write(out)
    for note in draft.notes:
        print(f"注意:{note}", file=sys.stderr)
    print(f"{draft.source}: {draft.sentences}句, {len(draft.candidates)}条候选", file=sys.stderr)
    return EXIT_OK


def _add_status(subparsers) -> None:
    """The ``status`` subcommand lives in status_cli (written separately); skip it while absent."""
    try:
        status_cli = importlib.import_module(f"{__package__}.status_cli")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.status_cli":
            raise  # a real missing dependency inside status_cli must not be hidden
        return
    status_cli.add_parser(subparsers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indicators", description="知识产权指标登记表 (indicator registry)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="load every scheme file and report every error")
    p.add_argument("--dir", default=SCHEMES_DIR, help="directory of scheme files (default: indicators/schemes)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="write the whole registry as json, csv or xlsx")
    p.add_argument("--format", required=True, choices=sorted(export.WRITERS), help="output format")
    p.add_argument("--out", help="output file (json/csv default to stdout; required for xlsx)")
    p.add_argument("--scheme", help="only this scheme id")
    p.add_argument("--dir", default=SCHEMES_DIR, help="directory of scheme files (default: indicators/schemes)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("draft", help="propose targets from a scheme document (.txt, .docx, .pdf)")
    p.add_argument("file", help="the scheme document")
    p.add_argument("--format", default="json", choices=["json", "yaml"], help="output format (default json)")
    p.set_defaults(func=cmd_draft)

    _add_status(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return args.func(args)
