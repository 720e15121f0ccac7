"""``python -m data status``: the traffic-light statuses of a scheme from the stored values.

The command and its output are ``python -m indicators status`` (indicators/status_cli.py); only
the values come from here, so the domain package never imports the data layer.

    python -m data [--url URL] status --scheme anning --as-of 2024-06-30 [--region 安宁市] [--format json|table]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from indicators import status_cli

ROOT = Path(__file__).resolve().parent.parent


def add_parser(sub, url_of) -> argparse.ArgumentParser:
    """``url_of(args)`` is the database address rule of ``python -m data``."""
    p = sub.add_parser("status", help="按已存数据评价一个方案各指标的状态(红绿灯)")
    status_cli.configure(p, observations=False)
    p.set_defaults(func=lambda args: status_cli.run(args, lambda scheme, region: read_values(
        url_of(args), scheme, region, args.registry)))
    return p


def read_values(url: str, scheme_id: str, region: str, registry_dir=None):
    """(observations, references, baselines, registry history) of a scheme and region; CliError with
    the fix when unreadable. The history: the registry versions published in the database."""
    from indicators.registry import load_registry

    from .scheme_versions import load_history
    from .store import Store

    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path = path if path.is_absolute() else ROOT / path
        if not path.exists():  # reading must not create an empty database
            raise status_cli.CliError(f"database {path} does not exist (set DATABASE_URL, or run `python -m data init`)")
    try:
        store = Store.from_url(url)
        try:
            base = load_registry(registry_dir) if registry_dir else load_registry()
            return (store.observations(scheme_id, region), store.references(scheme_id, region),
                    store.baselines(scheme_id, region), load_history(store, base))
        finally:
            store.dispose()
    except Exception as exc:  # a missing schema or an unreachable server: say so, no traceback
        raise status_cli.CliError(f"cannot read the database at DATABASE_URL ({exc.__class__.__name__}): "
                                  "run `python -m data init` first") from None
