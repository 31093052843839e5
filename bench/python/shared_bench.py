"""Python multiprocessing equivalents of bench/shared.mjs; prints one JSON object.

Same workloads, same sizes, median of --runs runs:
  queue_small / queue_100k: items/s through a multiprocessing.Queue, one producer
      process and one consumer process, timed from a Barrier until the consumer has
      every item;
  dict_lock: Manager().dict() increments/s under a Manager().Lock(), 2 processes;
  pipe_rtt_us: round trip over multiprocessing.Pipe() between the parent and a
      child that echoes, in microseconds.
"""
import argparse
import json
import multiprocessing as mp
import statistics
import time


def producer(q, barrier, n, size):
    item = b"x" * size if size else {"i": 0, "s": "abc"}
    barrier.wait()
    for i in range(n):
        q.put(item if size else {"i": i, "s": "abc"})


def consumer(q, barrier, n, done):
    barrier.wait()
    for _ in range(n):
        q.get()
    done.put(time.perf_counter())


def queue_run(n, size):
    q, done = mp.Queue(), mp.Queue()
    barrier = mp.Barrier(3)
    procs = [mp.Process(target=producer, args=(q, barrier, n, size)),
             mp.Process(target=consumer, args=(q, barrier, n, done))]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    t1 = done.get()
    for p in procs:
        p.join()
    return n / (t1 - t0)


def incrementer(d, lock, barrier, n):
    barrier.wait()
    for _ in range(n):
        with lock:
            d["count"] = d.get("count", 0) + 1


def dict_run(manager, n):
    d, lock = manager.dict(), manager.Lock()
    barrier = mp.Barrier(3)
    procs = [mp.Process(target=incrementer, args=(d, lock, barrier, n)) for _ in range(2)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    assert d["count"] == 2 * n, d["count"]
    return 2 * n / elapsed


def echo(conn, n):
    for _ in range(n):
        conn.send(conn.recv())


def pipe_run(n):
    mine, theirs = mp.Pipe()
    p = mp.Process(target=echo, args=(theirs, n))
    p.start()
    mine.send(0)  # warm-up round trip, also waits for the child to start
    mine.recv()
    t0 = time.perf_counter()
    for i in range(n - 1):
        mine.send(i)
        mine.recv()
    elapsed = time.perf_counter() - t0
    p.join()
    return elapsed / (n - 1) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--big", type=int, default=2000)
    ap.add_argument("--incr", type=int, default=5000)
    ap.add_argument("--rtt", type=int, default=5000)
    a = ap.parse_args()
    manager = mp.Manager()
    med = lambda f: statistics.median(f() for _ in range(a.runs))
    out = {
        "python": "%d.%d.%d" % __import__("sys").version_info[:3],
        "start_method": mp.get_start_method(),
        "queue_small": med(lambda: queue_run(a.small, 0)),
        "queue_100k": med(lambda: queue_run(a.big, 100 * 1024)),
        "dict_lock": med(lambda: dict_run(manager, a.incr)),
        "pipe_rtt_us": med(lambda: pipe_run(a.rtt)),
    }
    manager.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
