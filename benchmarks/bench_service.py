"""How much the HTTP service adds to an engine call, and how it holds up under 16 clients.

Run by hand: ``.venv/bin/python benchmarks/bench_service.py [--duration 60] [--clients 16]
[--folder DIR]``. The service runs in-process on 127.0.0.1 (uvicorn in a thread, auth on), over
a copy of Aspose's sample images (or of ``--folder``). Figures:

1. Per-request overhead: p50 of findSimilar and of status over HTTP (keep-alive session, bearer
   token) against p50 of the same engine call made directly, alternating call by call in the
   same run; "paired p50" is the median of (HTTP call - the engine call just before it).
2. Load: ``--clients`` threads, each with its own session, run findSimilar for ``--duration``
   seconds; errors, throughput and latency percentiles.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from lookalike.engine import Engine
from lookalike.service.app import create_app
from lookalike.service.server import ServerThread

EXAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "aspose-examples"
SEARCH = "/v3.0/imaging/ai/imageSearch"
CLIENT_ID = "bench"
CLIENT_SECRET = "bench-secret"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed_pairs(direct: Callable[[], object], over_http: Callable[[], object],
                repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each call, the two kinds alternating so both see the same machine load."""
    for _ in range(5):
        direct()
        over_http()
    direct_ms, http_ms = [], []
    for _ in range(repeats):
        for call, times in ((direct, direct_ms), (over_http, http_ms)):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return direct_ms, http_ms


def token_session(url: str) -> requests.Session:
    session = requests.Session()
    token = requests.post(url + "/connect/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET}).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def overhead(engine: Engine, url: str, context_id: str, query_id: str, repeats: int) -> None:
    session = token_session(url)
    params = {"imageId": query_id, "similarityThreshold": 0, "maxCount": 10}

    def http_find() -> None:
        response = session.get(f"{url}{SEARCH}/{context_id}/findSimilar", params=params,
                               timeout=30)
        response.raise_for_status()

    def http_status() -> None:
        session.get(f"{url}{SEARCH}/{context_id}/status", timeout=30).raise_for_status()

    rows = [
        ("findSimilar", *timed_pairs(
            lambda: engine.find_similar(context_id, query_id, max_count=10), http_find, repeats)),
        ("status", *timed_pairs(lambda: engine.status(context_id), http_status, repeats)),
    ]
    print(f"\nPer-request overhead over {repeats} alternating calls (ms):")
    print(f"{'operation':<12} {'engine p50':>10} {'http p50':>9} {'overhead p50':>13} "
          f"{'paired p50':>11} {'http p95':>9}")
    for name, direct, over_http in rows:
        d50, h50 = statistics.median(direct), statistics.median(over_http)
        paired = statistics.median(h - d for h, d in zip(over_http, direct, strict=True))
        print(f"{name:<12} {d50:>10.2f} {h50:>9.2f} {h50 - d50:>13.2f} {paired:>11.2f} "
              f"{percentile(over_http, 0.95):>9.2f}")
    session.close()


def load(url: str, context_id: str, query_ids: list[str], clients: int,
         duration: float) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(number: int) -> None:
        session = token_session(url)
        mine: list[float] = []
        index = number
        while time.monotonic() < stop_at:
            params = {"imageId": query_ids[index % len(query_ids)], "similarityThreshold": 0,
                      "maxCount": 10}
            index += 1
            started = time.perf_counter()
            try:
                response = session.get(f"{url}{SEARCH}/{context_id}/findSimilar",
                                       params=params, timeout=60)
                ok = response.status_code == 200 and "results" in response.json()
                problem = "" if ok else f"HTTP {response.status_code}: {response.text[:100]}"
            except (requests.RequestException, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if problem:
                    errors.append(problem)
                else:
                    mine.append(elapsed)
        with lock:
            latencies.extend(mine)
        session.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    print(f"\n{clients} clients running findSimilar for {elapsed:.1f} s:")
    print(f"  requests ok: {len(latencies)}, errors: {len(errors)}, "
          f"throughput: {len(latencies) / elapsed:.1f} req/s")
    if latencies:
        print(f"  latency ms: p50 {statistics.median(latencies):.1f}, "
              f"p95 {percentile(latencies, 0.95):.1f}, max {max(latencies):.1f}")
    for problem in sorted(set(errors))[:5]:
        print(f"  error: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--folder", type=Path, default=EXAMPLES,
                        help="images to index (default: Aspose's samples)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temp:
        storage = Path(temp) / "storage"
        shutil.copytree(args.folder, storage / "images")
        with Engine(Path(temp) / "data") as engine:
            app = create_app(engine, storage, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
            with ServerThread(app) as server:
                context_id = engine.create_context()
                started = time.perf_counter()
                engine.extract_folder(context_id, storage / "images", id_prefix="images/")
                status = engine.wait_idle(context_id)
                ids = engine.image_ids(context_id)
                print(f"Indexed {len(ids)} images ({len(status.progress.failed)} failed) in "
                      f"{time.perf_counter() - started:.1f} s; service at {server.url}")
                overhead(engine, server.url, context_id, ids[0], args.repeats)
                load(server.url, context_id, ids, args.clients, args.duration)


if __name__ == "__main__":
    main()
