"""Entry point: ``python app.py [--demo]``.

Without ``--demo`` the app serves the real database (DATABASE_URL, default
instance/monitor.db) with no invented values; with ``--demo`` it uses its own
demo database, loaded with clearly labelled synthetic data on first start.
For production, serve ``wsgi:server`` with gunicorn (see README).
"""
from __future__ import annotations

import argparse
import os
import sys

from dashboard import Settings, create_app
from indicators.registry import SCHEMES_DIR, RegistryInvalid


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="知识产权强县试点监测平台")
    parser.add_argument("--demo", action="store_true", help="serve the demo database with synthetic data")
    parser.add_argument("--host", help="listen address (default: HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: PORT or 8050)")
    args = parser.parse_args(argv)
    settings = Settings.from_env(demo=args.demo)
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    try:
        app = create_app(settings, registry_dir=os.environ.get("REGISTRY_DIR") or SCHEMES_DIR)
    except RegistryInvalid as exc:
        # Never serve a half-loaded registry: say which file, indicator and field.
        print(f"启动失败:指标库文件有误。\n{exc}", file=sys.stderr)
        return 1
    kind = "示例数据 (demo)" if args.demo else "正式数据"
    print(f"知识产权强县试点监测平台 [{kind}] running at http://{settings.host}:{settings.port}/", flush=True)
    app.run(host=settings.host, port=settings.port, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
