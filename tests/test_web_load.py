"""A bounded load test of the dashboard on loopback: 2,000 requests, 20 at a time, zero errors.

The server is uvicorn in a thread (``scsim.web.server.Background``) on a free port; requests are a
mix of pages, aggregates, citizens and bad requests, each with the status it must get.
"""
from __future__ import annotations

import asyncio
import time

import httpx
import pytest

import scsim
from scsim.web.server import Background, create_app

N, T = 4000, 6
REQUESTS, CONCURRENCY = 2000, 20


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("loadruns")
    for name, seed in (("a", 11), ("b", 12)):
        scsim.Simulation(scsim.load_scenario("article", population=N, ticks=T, seed=seed)).run().save(root / name)
    return root


def mix(i: int) -> tuple[str, int]:
    """The i-th request and its expected status (deterministic, so a failure is reproducible)."""
    run = "ab"[i % 2]
    k = i % 16
    table = {
        0: (f"/api/runs/{run}/citizens/{(i * 7919) % N}", 200),
        1: (f"/api/runs/{run}/histogram?tick={1 + i % T}", 200),
        2: (f"/api/runs/{run}/ticks", 200),
        3: (f"/api/runs/{run}/transitions?tick={1 + i % T}", 200),
        4: (f"/api/runs/{run}/disparity", 200),
        5: (f"/api/runs/{run}/network", 200),
        6: ("/api/runs", 200),
        7: (f"/?run={run}", 200),
        8: (f"/citizen/{i % N}?run={run}", 200),
        9: (f"/api/runs/{run}/citizens/{N + i}", 404),
        10: ("/api/runs/../../etc/passwd", 404),
        11: (f"/api/runs/{run}/histogram?tick=0", 422),
        12: (f"/api/runs/{run}/histogram?bins={5 + i % 100}", 200),
        13: (f"/api/runs/{run}/random-citizen", 200),
        14: (f"/api/runs/{run}/components", 200),
        15: (f"/api/runs/{run}/citizens/{(i * 104729) % N}", 200),
    }
    return table[k]


async def hammer(base: str) -> tuple[list, float]:
    sem = asyncio.Semaphore(CONCURRENCY)
    problems: list = []
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        async def one(i: int):
            url, want = mix(i)
            async with sem:
                try:
                    r = await client.get(url)
                except httpx.HTTPError as e:
                    problems.append((url, type(e).__name__))
                    return
            if r.status_code != want:
                problems.append((url, r.status_code, r.text[:120]))
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(REQUESTS)))
        return problems, time.perf_counter() - t0


def test_two_thousand_requests_twenty_at_a_time_no_errors(runs):
    with Background(create_app(runs)) as base:
        assert base.startswith("http://127.0.0.1:")
        problems, seconds = asyncio.run(hammer(base))
        # the server is still healthy afterwards
        assert httpx.get(base + "/api/runs", timeout=10).status_code == 200
    assert problems == [], problems[:10]
    print(f"\n{REQUESTS} requests, {CONCURRENCY} at a time: {seconds:.1f} s ({REQUESTS / seconds:.0f} requests/s)")
