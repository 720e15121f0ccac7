"""``python -m indicators validate|export|status|draft`` — see :mod:`indicators.cli`."""
from .cli import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
