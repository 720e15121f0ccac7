"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:server`` (see docs/deploy.md).

Environment: HOST, PORT (bind), WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_TIMEOUT, GUNICORN_PRELOAD.

Workers share nothing but the database: each builds its own app (registry
parsed once per process, its own SQLAlchemy engine and pool), and every cache
keys on ``meta.data_version`` in the database, so a value saved through one
worker is seen by the next request on any other.
"""
import gc
import os


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _workers() -> int:
    # 2 × cores + 1 (gunicorn's rule of thumb), capped: each worker holds its own
    # caches (about 150–300 MB at 1,000 regions, docs/performance.md) and up to
    # `threads` database connections.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, _int("WEB_CONCURRENCY", min(2 * cores + 1, 8)))


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8050)}"
workers = _workers()
# Threads overlap database waits; the status engine itself is CPU-bound, so keep them few.
worker_class = "gthread"
threads = max(1, _int("GUNICORN_THREADS", 4))
# Word reports of a whole scheme take a few seconds; nothing legitimate takes a minute.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
# Off by default: each worker then opens its own engine after the fork (nothing to
# dispose). With GUNICORN_PRELOAD=1 the app is built once in the master and
# post_fork below drops the inherited connections.
preload_app = os.environ.get("GUNICORN_PRELOAD", "").lower() in ("1", "true", "yes", "on")
# The heartbeat file on tmpfs: a slow disk must not make the master kill healthy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


def settle() -> None:
    """Call once the app is loaded. Full garbage collections were the overview's p95
    (80–150 ms pauses, docs/performance.md): freeze what start-up allocated (Dash,
    plotly, the registry: ~300,000 objects never to be rescanned), and collect the
    youngest generation every 10,000 allocations instead of 700, so that a
    request's short-lived objects rarely promote a full collection. Before that, build
    what the first figure of every worker would (plotly's template and validators), so
    no user waits for it and it is frozen with the rest."""
    from dashboard import figures

    figures.warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def post_fork(server, worker):
    if preload_app:
        # Connections opened in the master must not be shared by the children.
        import wsgi

        wsgi.app.server.extensions["monitor"]["service"].store.engine.dispose(close=False)


def post_worker_init(worker):
    settle()
