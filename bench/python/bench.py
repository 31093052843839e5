"""Python's side of the forkpool benchmark: one (variant, workload) per run.

Usage: python3 bench/python/bench.py <mp|mp-chunked|futures> <W1..W6> [--quick]
Prints one `BENCH_RESULT {json}` line, like bench/child.mjs. Sizes mirror
bench/lib/sizes.mjs; the workload definitions are issue 5's.
"""
import json
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

FULL = dict(w1=20_000, w2=2_000, w3=1_000_000, str_count=2_000, bin_count=200)
QUICK = dict(w1=2_000, w2=200, w3=100_000, str_count=100, bin_count=10)
WARMUP_TASKS = 200  # same as the Node rows: workers up and warm before timing
STRING = "forkpool" * (100 * 1024 // 8)
BINARY = bytes((i * 31) & 0xFF for i in range(1024 * 1024))


def noop(x):
    return x


def double(x):
    return x * 2


def echo(x):
    return x


def rss(_):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


class MpPool:
    """multiprocessing.Pool; `chunked` selects the map(chunksize=...) variant."""

    def __init__(self, workers, chunked=False):
        self.pool = Pool(workers)
        self.chunked = chunked

    def run(self, fn, arg):
        return self.pool.apply(fn, (arg,))

    def run_many(self, fn, args):
        if self.chunked:  # W1's second Python figure: map(chunksize=1)
            return self.pool.map(fn, args, chunksize=1)
        return [r.get() for r in [self.pool.apply_async(fn, (a,)) for a in args]]

    def map(self, fn, items):
        return self.pool.map(fn, items, chunksize=1000) if self.chunked else self.pool.map(fn, items)

    def destroy(self):
        self.pool.terminate()
        self.pool.join()


class Futures:
    def __init__(self, workers):
        self.ex = ProcessPoolExecutor(workers)

    def run(self, fn, arg):
        return self.ex.submit(fn, arg).result()

    def run_many(self, fn, args):
        return [f.result() for f in [self.ex.submit(fn, a) for a in args]]

    def map(self, fn, items):
        # The executor's default chunksize=1 takes minutes for 1M items.
        return list(self.ex.map(fn, items, chunksize=1000))

    def destroy(self):
        self.ex.shutdown(wait=True)


VARIANTS = {
    "mp": lambda n: MpPool(n),
    "mp-chunked": lambda n: MpPool(n, chunked=True),
    "futures": Futures,
}


def warm(create):
    pool = create(2)
    pool.run_many(noop, range(WARMUP_TASKS))
    return pool


def w1(create, size):
    pool = warm(create)
    t0 = time.perf_counter()
    out = pool.run_many(noop, range(size["w1"]))
    s = time.perf_counter() - t0
    assert len(out) == size["w1"]
    pool.destroy()
    return {"tasksPerSec": size["w1"] / s}


def w2(create, size):
    pool = warm(create)
    micros = []
    for i in range(size["w2"]):
        t0 = time.perf_counter_ns()
        pool.run(noop, i)
        micros.append((time.perf_counter_ns() - t0) / 1e3)
    pool.destroy()
    micros.sort()
    p99 = micros[min(len(micros) - 1, math.ceil(0.99 * len(micros)) - 1)]  # nearest rank, as in JS
    return {"medianUs": statistics.median(micros), "p99Us": p99}


def w3(create, size):
    pool = warm(create)
    items = list(range(size["w3"]))
    t0 = time.perf_counter()
    out = pool.map(double, items)
    s = time.perf_counter() - t0
    assert len(out) == len(items) and out[12345] == 24690
    pool.destroy()
    return {"itemsPerSec": len(items) / s}


def w4(create, size):
    t0 = time.perf_counter()
    pool = create(2)
    pool.run(noop, 1)
    first_ms = (time.perf_counter() - t0) * 1e3
    worker_rss = pool.run(rss, 0) / 1024 / 1024
    t1 = time.perf_counter()
    pool.destroy()
    destroy_ms = (time.perf_counter() - t1) * 1e3
    return {"firstResultMs": first_ms, "toDestroyedMs": first_ms + destroy_ms, "destroyMs": destroy_ms, "workerRssMB": worker_rss}


def w6(create, size):
    pool = warm(create)
    t0 = time.perf_counter()
    out = pool.run_many(echo, [STRING] * size["str_count"])
    string_mbps = size["str_count"] * len(STRING) / (time.perf_counter() - t0) / 1e6
    assert all(v == STRING for v in out)
    t0 = time.perf_counter()
    out = pool.run_many(echo, [BINARY] * size["bin_count"])
    binary_mbps = size["bin_count"] * len(BINARY) / (time.perf_counter() - t0) / 1e6
    same = all(type(v) is bytes and v == BINARY for v in out)
    pool.destroy()
    return {"stringMBps": string_mbps, "binaryMBps": binary_mbps if same else "wrong type", "binaryReturned": type(out[0]).__name__}


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W6": w6}


def main():
    variant, workload = sys.argv[1], sys.argv[2]
    size = QUICK if "--quick" in sys.argv else FULL
    try:
        result = {"metrics": WORKLOADS[workload](VARIANTS[variant], size)}
    except Exception as err:  # reported in the table, never a crash of the suite
        result = {"error": f"{type(err).__name__}: {err}"}
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
