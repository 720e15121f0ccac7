"""Cost of one bulk load (values, revisions and the status snapshot) on a throw-away PostgreSQL:
wall time and CPU seconds of the client process, the snapshot workers and the PostgreSQL cluster
(read from /proc), with the backend's CPU per step. CPU, unlike wall time, can be compared on a
machine that other work shares:

    python -m benchmarks.bulkcost --regions 1000 [--workers 2]

Prints one JSON object (docs/performance.md, "Bulk load: foreign keys")."""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

from data import bulk
from data.db import make_engine, upgrade
from data.demo import DEMO_USER

from . import synthetic
from .pgserver import fresh_database, throwaway_postgres

_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TCK
    except (OSError, IndexError):
        return 0.0


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return -1


def cluster_cpu(port: str) -> float:
    """CPU seconds of the postmaster listening on ``port`` and of its live children."""
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    postmaster = None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline") as f:
                cmd = f.read().split("\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith("/postgres") and f"-p {port}" in " ".join(cmd):
            postmaster = pid
    if postmaster is None:
        return 0.0
    return _proc_cpu(postmaster) + sum(_proc_cpu(p) for p in pids if _ppid(p) == postmaster)


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _timed_steps(steps: list) -> dict:
    """Record wall, client CPU and backend CPU of the loader's steps (the functions that exist);
    return the originals, for :func:`run` to put back."""
    originals = {}

    def wrap(name: str):
        f = getattr(bulk, name, None)
        if f is None:
            return
        originals[name] = f

        def timed(c, *args):
            pid = c.connection.driver_connection.info.backend_pid
            t, cs, cb = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _proc_cpu(pid)
            out = f(c, *args)
            label = f"{name} {args[0]}" if name == "_insert" else name
            steps.append({"step": label, "wall_s": round(time.perf_counter() - t, 2),
                          "client_cpu": round(_cpu(resource.RUSAGE_SELF) - cs, 2),
                          "backend_cpu": round(_proc_cpu(pid) - cb, 2)})
            return out
        setattr(bulk, name, timed)

    for name in ("_drop_constraints", "_insert", "_write_revisions", "_restore_constraints"):
        wrap(name)
    return originals


def run(n_regions: int, workers: int, quarters: int = 16) -> dict:
    from indicators.registry import load_registry

    registry = load_registry()
    values, references = synthetic.region_values(registry, n_regions, quarters)
    steps: list = []
    originals = _timed_steps(steps)
    try:
        out = _load(n_regions, workers, registry, values, references)
    finally:
        for name, f in originals.items():
            setattr(bulk, name, f)
    out["steps"] = steps
    out["load_average"] = os.getloadavg()[0]
    return out


def _load(n_regions: int, workers: int, registry, values, references) -> dict:
    from indicators.snapshot import Evaluator

    with throwaway_postgres() as server:
        port = server.rsplit(":", 1)[1].split("/")[0]
        engine = make_engine(fresh_database(server, "bulkcost"))
        try:
            upgrade(engine)
            pg0, c0, w0 = cluster_cpu(port), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            s = bulk.bulk_load(engine, synthetic.SCHEME, registry.indicators, values, DEMO_USER,
                               references=references, source="demo", reason="基准测试合成数据",
                               snapshot=Evaluator(registry), workers=workers)
            out = {"regions": n_regions, "values": s.observations, "revisions": s.revisions,
                   "wall_s": round(time.perf_counter() - t, 2),
                   "client_cpu": round(_cpu(resource.RUSAGE_SELF) - c0, 2),
                   "workers_cpu": round(_cpu(resource.RUSAGE_CHILDREN) - w0, 2),   # reaped by the pool's shutdown
                   "postgresql_cpu": round(cluster_cpu(port) - pg0, 2)}
        finally:
            engine.dispose()
    out["total_cpu"] = round(out["client_cpu"] + out["workers_cpu"] + out["postgresql_cpu"], 2)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bulkcost")
    ap.add_argument("--regions", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    sys.stdout.write(json.dumps(run(args.regions, args.workers), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
