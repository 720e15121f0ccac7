"""``python -m dashboard users ...`` and ``python -m dashboard report ...``."""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="知识产权强县试点监测平台: 管理命令")
    sub = parser.add_subparsers(dest="command", required=True)
    from . import report_cli, users_cli
    from .acceptance import cli as acceptance_cli

    users_cli.add_parser(sub)
    report_cli.add_parser(sub)
    acceptance_cli.add_parser(sub)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
