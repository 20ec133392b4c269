"""The load generator, run as its own process: `python -m bench.load PLAN RESULTS`.

PLAN is a JSON file: `base_url`, `requests` (each `method`, `path`, optional `headers` and `json`),
`concurrency`, and how to send them:

    once: every request exactly once, at most `concurrency` in flight (a rush)
    rate: every request exactly once, the i-th started at i / `rate` seconds (an open, steady load)
    duration: `concurrency` clients cycling through the requests for `duration` seconds (saturation)
    journeys: instead of `requests`, people: each journey starts `at` seconds after the first and sends
        its `steps` (requests with a `label` and a `pause` in seconds before each) one after another

RESULTS gets one JSON line per answer: `start` and `end` (Unix time, seconds), `status`, `path` (and a
journey step's `label`), and the answer's JSON body when the plan says `keep_bodies`. A `path` may be a
whole URL when the plan has no `base_url` (journeys visit several services).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time

import aiohttp


class LoadRun:
    def __init__(self, plan: dict, session: aiohttp.ClientSession):
        self.plan = plan
        self.session = session
        self.results: list[dict] = []

    async def send(self, spec: dict) -> None:
        start = time.time()
        async with self.session.request(spec["method"], spec["path"], headers=spec.get("headers"),
                                        json=spec.get("json")) as answer:
            body = await answer.read()
        result = {"start": start, "end": time.time(), "status": answer.status, "path": spec["path"],
                  "label": spec.get("label")}
        if self.plan.get("keep_bodies"):
            result["body"] = json.loads(body) if body else None
        self.results.append(result)

    async def once(self) -> None:
        slots = asyncio.Semaphore(self.plan["concurrency"])

        async def limited(spec: dict) -> None:
            async with slots:
                await self.send(spec)

        await asyncio.gather(*(limited(spec) for spec in self.plan["requests"]))

    async def at_rate(self) -> None:
        begin, interval, pending = time.monotonic(), 1 / self.plan["rate"], []
        for number, spec in enumerate(self.plan["requests"]):
            await asyncio.sleep(max(0.0, begin + number * interval - time.monotonic()))
            pending.append(asyncio.create_task(self.send(spec)))
        await asyncio.gather(*pending)

    async def journeys(self) -> None:
        begin = time.monotonic()

        async def journey(plan: dict) -> None:
            await asyncio.sleep(max(0.0, begin + plan["at"] - time.monotonic()))
            for step in plan["steps"]:
                await asyncio.sleep(step.get("pause", 0))
                await self.send(step)

        await asyncio.gather(*(journey(plan) for plan in self.plan["journeys"]))

    async def for_duration(self) -> None:
        deadline = time.monotonic() + self.plan["duration"]
        specs = itertools.cycle(self.plan["requests"])

        async def client() -> None:
            while time.monotonic() < deadline:
                await self.send(next(specs))

        await asyncio.gather(*(client() for _ in range(self.plan["concurrency"])))


async def run(plan: dict) -> list[dict]:
    """Send the plan's requests as it says and return one result per answer."""
    connector = aiohttp.TCPConnector(limit=plan["concurrency"])
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(plan.get("base_url"), connector=connector, timeout=timeout) as session:
        load = LoadRun(plan, session)
        if "journeys" in plan:
            await load.journeys()
        elif "rate" in plan:
            await load.at_rate()
        elif "duration" in plan:
            await load.for_duration()
        else:
            await load.once()
        return load.results


def main(plan_path: str, results_path: str) -> None:
    with open(plan_path, encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    results = asyncio.run(run(plan))
    with open(results_path, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(result) + "\n" for result in results)


if __name__ == "__main__":
    main(*sys.argv[1:3])
