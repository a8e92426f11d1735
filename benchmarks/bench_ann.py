r"""Approximate nearest neighbours: fastw2v's HnswIndexer against exact search and gensim's AnnoyIndexer.

    python benchmarks/bench_ann.py --n 1000000 --dim 300 --clusters 10000 --queries 10000 \
        --work /tmp/ann_bench [--imdb ../shared/data/imdb.txt.xz] [--json results.json]

Data (synthetic): a Gaussian mixture. With ``numpy.random.default_rng(seed)``:
``clusters`` centres drawn from N(0, I_dim); each cluster c a spread s_c drawn from
Uniform(0.5, 1.0); each of the ``n`` vectors (and, after them, each of the
``queries`` query vectors) picks a cluster uniformly at random and is
``centre_c + s_c * N(0, I_dim)``, float32, drawn in blocks of 100,000 (the block's
cluster ids, then its noise). Queries are fresh draws, not indexed vectors. With
``--imdb``, also vectors trained by fastw2v on that corpus (corpus_file, skip-gram, 100
dimensions, window 5, negative 5, sample 1e-4, min_count 5, 1 epoch, 2 threads, seed 1),
queried by ``--queries`` of their own rows drawn with the seed (nothing is excluded: every
method answers the same queries).

Every method runs in its own child process; the parent reads the child's peak RSS
(``ru_maxrss``) from ``os.wait4``. Rows:

- ``exact batch``: ``kv.most_similar(queries, topn=10, batch=True)`` (fastw2v's fused
  top-k kernel over all cores); its answers are the ground truth for recall@10;
- ``exact 1-query``: a loop of ``kv.most_similar(positive=[q], topn=10)``;
- ``hnsw build``: ``HnswIndexer(kv, M, efConstruction)`` over all cores, then ``save``;
  ``(vectors mmap)``: the same from vectors loaded with ``np.load(..., mmap_mode="r")``,
  which the build reads one chunk at a time and gives back (the saved index is the one
  the query rows load);
- ``hnsw ef=E``: the saved index loaded (``mmap=True``) and queried one query at a
  time through ``kv.most_similar(positive=[q], topn=10, indexer=ix)``; ``batch`` QPS
  from ``ix.most_similar_batch`` over all cores; ``(vectors mmap)``: the vectors
  memory-mapped, so the process holds the index and the rows it touches;
- ``annoy build``: gensim's ``AnnoyIndexer(gensim_kv, num_trees)``;
- ``annoy (gensim)``: one query at a time through ``kv.most_similar(..., indexer=annoy)``
  (gensim's AnnoyIndexer always searches with annoy's default search_k = trees x topn);
  ``annoy search_k=S``: the same index, ``get_nns_by_vector(q, 10, search_k=S)``.

QPS of single-query loops is measured on the first ``--single-queries`` queries
(exact search and annoy are slow); recall@10 of a row over the queries it answered.

``--libraries faiss,hnswlib,usearch`` instead builds the same HNSW (``--M`` links,
``--efConstruction``) with each library and times one-query searches at each ``--ef``:
the measurement behind the choice of faiss (benchmarks/README.md).
"""
import argparse
import datetime
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench import run_json_child  # noqa: E402

HERE = os.path.abspath(__file__)


# --------------------------------------------------------------------------- data


def gaussian_mixture(n, dim, clusters, queries, seed):
    """(vectors, query vectors), float32: see the module docstring for the exact recipe."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim), dtype=np.float32)
    spread = rng.uniform(0.5, 1.0, clusters).astype(np.float32)

    def draw(m):
        out = np.empty((m, dim), dtype=np.float32)
        for lo in range(0, m, 100_000):  # bounded temporaries
            hi = min(m, lo + 100_000)
            c = rng.integers(0, clusters, hi - lo)
            out[lo:hi] = rng.standard_normal((hi - lo, dim), dtype=np.float32)
            out[lo:hi] *= spread[c, None]
            out[lo:hi] += centres[c]
        return out

    vectors = draw(n)
    return vectors, draw(queries)


def imdb_vectors(corpus_xz, work):
    """Train fastw2v skip-gram (100 dims, 1 epoch) on the IMDB corpus; (keys, vectors)."""
    import lzma
    import shutil

    from fastw2v import Word2Vec
    text = os.path.join(work, "imdb.txt")
    if not os.path.exists(text):
        with lzma.open(corpus_xz, "rb") as fin, open(text + ".tmp", "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
        os.replace(text + ".tmp", text)
    model = Word2Vec(corpus_file=text, vector_size=100, window=5, min_count=5, sg=1, negative=5,
                     sample=1e-4, epochs=1, workers=2, seed=1)
    return model.wv.index_to_key, np.ascontiguousarray(model.wv.vectors)


def _write_set(d, keys, vectors, queries):
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "vectors.npy"), vectors)
    with open(os.path.join(d, "keys.json"), "w") as f:
        json.dump(list(keys), f)
    np.save(os.path.join(d, "queries.npy"), queries)  # last: its presence marks a complete set


def child_make_mixture(d, opts):
    vectors, queries = gaussian_mixture(opts["n"], opts["dim"], opts["clusters"], opts["queries"],
                                        opts["seed"])
    _write_set(d, [f"w{i}" for i in range(len(vectors))], vectors, queries)
    return []


def child_make_imdb(d, opts):
    keys, vectors = imdb_vectors(opts["imdb"], os.path.dirname(d))
    rows = np.random.default_rng(opts["seed"]).choice(len(vectors), min(opts["queries"], len(vectors)),
                                                      replace=False)
    _write_set(d, keys, vectors, vectors[np.sort(rows)])
    return []


def prepare(args, opts):
    """Data set directories under ``--work`` (vectors.npy, keys.json, queries.npy), made in
    child processes when missing, so this parent stays small: a child's peak RSS starts from
    its parent's at fork."""
    sets = [(f"mixture-{args.n}x{args.dim}-c{args.clusters}-q{args.queries}-s{args.seed}",
             "make-mixture")]
    if args.imdb:
        sets.append(("imdb-sg100-e1", "make-imdb"))
    dirs = []
    for name, child in sets:
        d = os.path.join(args.work, name)
        if not os.path.exists(os.path.join(d, "queries.npy")):
            t = time.perf_counter()
            run_child(child, d, opts)
            print(f"made {name} in {time.perf_counter() - t:.1f}s", flush=True)
        dirs.append(d)
    return dirs


# --------------------------------------------------------------------------- children


def _fastw2v_kv(d, mmap=None):
    """fastw2v KeyedVectors over the data set's vectors (read into memory, as a user has them,
    unless `mmap`)."""
    from fastw2v import KeyedVectors
    vectors = np.load(os.path.join(d, "vectors.npy"), mmap_mode=mmap)
    with open(os.path.join(d, "keys.json")) as f:
        keys = json.load(f)
    kv = KeyedVectors(vectors.shape[1])
    # The trainer's contract (keyedvectors.py): these attributes may be set directly.
    kv.index_to_key, kv.key_to_index, kv.vectors = keys, {k: i for i, k in enumerate(keys)}, vectors
    kv.norms = None
    return kv


def _single_loop(search, queries):
    """(results, seconds) of one `search(q)` call per query."""
    t = time.perf_counter()
    results = [search(q) for q in queries]
    return results, time.perf_counter() - t


def _rows(kv, results):
    return [[kv.key_to_index[k] for k, _ in r] for r in results]


def child_exact(d, opts):
    kv = _fastw2v_kv(d)
    queries = np.load(os.path.join(d, "queries.npy"))
    t = time.perf_counter()
    results = kv.most_similar(queries, topn=10, batch=True)
    batch_s = time.perf_counter() - t
    truth = np.array(_rows(kv, results), dtype=np.int64)
    np.save(os.path.join(d, "truth.npy"), truth)
    single, single_s = _single_loop(lambda q: kv.most_similar(positive=[q], topn=10),
                                    queries[:opts["single_queries"]])
    return [{"method": "exact batch", "recall": 1.0, "qps": len(queries) / batch_s},
            {"method": "exact 1-query", "recall": _recall(_rows(kv, single), truth),
             "qps": len(single) / single_s}]


def child_hnsw_build(d, opts, mmap_vectors=False):
    """Build and save the index; with `mmap_vectors` from memory-mapped vectors, whose
    pages the build gives back chunk by chunk."""
    from fastw2v.similarities import HnswIndexer
    kv = _fastw2v_kv(d, mmap="r" if mmap_vectors else None)
    t = time.perf_counter()
    ix = HnswIndexer(kv, M=opts["M"], efConstruction=opts["efConstruction"], workers=opts["threads"],
                     progress=False)
    build_s = time.perf_counter() - t
    path = os.path.join(d, "hnsw.index")
    ix.save(path)
    return [{"method": f"hnsw build M={opts['M']} efC={opts['efConstruction']}"
                       + (" (vectors mmap)" if mmap_vectors else ""),
             "build_s": build_s, "index_mb": os.path.getsize(path) / 2**20}]


def child_hnsw_build_mmap(d, opts):
    return child_hnsw_build(d, opts, mmap_vectors=True)


def child_hnsw_query(d, opts, mmap_vectors=False):
    from fastw2v.similarities import HnswIndexer
    kv = _fastw2v_kv(d, mmap="r" if mmap_vectors else None)
    queries = np.load(os.path.join(d, "queries.npy"))
    truth = np.load(os.path.join(d, "truth.npy"))
    # The fingerprint check reads every row; on mapped vectors it gives each chunk's pages back.
    ix = HnswIndexer.load(os.path.join(d, "hnsw.index"), kv, mmap=True, verify=True)
    rows = []
    for ef in opts["ef"]:
        ix.efSearch = ef
        single, single_s = _single_loop(lambda q: kv.most_similar(positive=[q], topn=10, indexer=ix),
                                        queries)
        t = time.perf_counter()
        ix.most_similar_batch(queries, 10)
        batch_s = time.perf_counter() - t
        rows.append({"method": f"hnsw ef={ef}" + (" (vectors mmap)" if mmap_vectors else ""),
                     "recall": _recall(_rows(kv, single), truth),
                     "qps": len(queries) / single_s, "batch_qps": len(queries) / batch_s})
    return rows


def child_annoy(d, opts):
    from gensim.models import KeyedVectors as GensimKeyedVectors
    from gensim.similarities.annoy import AnnoyIndexer
    kv = _fastw2v_kv(d)
    queries = np.load(os.path.join(d, "queries.npy"))[:opts["single_queries"]]
    truth = np.load(os.path.join(d, "truth.npy"))
    # gensim's AnnoyIndexer accepts only gensim's classes: a gensim KeyedVectors over the same array.
    gkv = GensimKeyedVectors(kv.vector_size, count=0)
    gkv.index_to_key, gkv.key_to_index, gkv.vectors = kv.index_to_key, kv.key_to_index, kv.vectors
    t = time.perf_counter()
    annoy = AnnoyIndexer(gkv, opts["trees"])
    build_s = time.perf_counter() - t
    rows = [{"method": f"annoy build trees={opts['trees']}", "build_s": build_s}]
    single, single_s = _single_loop(lambda q: kv.most_similar(positive=[q], topn=10, indexer=annoy),
                                    queries)
    rows.append({"method": f"annoy (gensim, search_k={opts['trees'] * 10})",
                 "recall": _recall(_rows(kv, single), truth), "qps": len(single) / single_s})
    for search_k in opts["search_k"]:
        found, found_s = _single_loop(
            lambda q: annoy.index.get_nns_by_vector(q / np.linalg.norm(q), 10, search_k=search_k), queries)
        rows.append({"method": f"annoy search_k={search_k}", "recall": _recall(found, truth),
                     "qps": len(found) / found_s})
    return rows


def child_hnsw_query_mmap(d, opts):
    """The largest ef again, with the vectors memory-mapped and ``load(..., verify=False)``:
    indexed queries never read the vectors, so the process holds only the index."""
    return child_hnsw_query(d, opts, mmap_vectors=True)


def _library_index(name, unit, opts):
    """Build an HNSW index of `unit` with library `name`; its one-query search(q, ef) function."""
    m, efc, threads = opts["M"], opts["efConstruction"], opts["threads"]
    if name == "faiss":
        import faiss
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexHNSWFlat(unit.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = efc
        index.add(unit)
        faiss.omp_set_num_threads(1)

        def search(q, ef):
            index.hnsw.efSearch = ef
            return index.search(q[None, :], 10)[1][0]
    elif name == "hnswlib":
        import hnswlib
        index = hnswlib.Index(space="ip", dim=unit.shape[1])
        index.init_index(max_elements=len(unit), M=m, ef_construction=efc)
        index.set_num_threads(threads)
        index.add_items(unit, np.arange(len(unit)))
        index.set_num_threads(1)

        def search(q, ef):
            index.set_ef(ef)
            return index.knn_query(q, 10)[0][0]
    elif name == "usearch":
        from usearch.index import Index
        index = Index(ndim=unit.shape[1], metric="ip", dtype="f32", connectivity=m, expansion_add=efc)
        index.add(np.arange(len(unit)), unit, threads=threads)

        def search(q, ef):
            index.expansion_search = ef
            return index.search(q, 10, threads=1).keys
    else:
        raise ValueError(f"unknown library {name!r}")
    return search


def child_library(d, opts):
    """One HNSW library on the mixture: build time, and recall and QPS of one-query searches."""
    vectors = np.load(os.path.join(d, "vectors.npy"))
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    del vectors
    queries = np.load(os.path.join(d, "queries.npy"))
    queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    truth = np.load(os.path.join(d, "truth.npy"))
    t = time.perf_counter()
    search = _library_index(opts["library"], unit, opts)
    rows = [{"method": f"{opts['library']} build M={opts['M']} efC={opts['efConstruction']}",
             "build_s": time.perf_counter() - t}]
    for ef in opts["ef"]:
        found, found_s = _single_loop(lambda q: search(q, ef), queries)
        rows.append({"method": f"{opts['library']} ef={ef}", "recall": _recall(found, truth),
                     "qps": len(found) / found_s})
    return rows


CHILDREN = {"make-mixture": child_make_mixture, "make-imdb": child_make_imdb, "exact": child_exact,
            "hnsw-build": child_hnsw_build, "hnsw-query": child_hnsw_query, "library": child_library,
            "hnsw-query-mmap": child_hnsw_query_mmap, "hnsw-build-mmap": child_hnsw_build_mmap,
            "annoy": child_annoy}


def _recall(found, truth):
    """Mean fraction of each query's true top-10 found (over the queries answered)."""
    hits = [len(set(f) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]
    return float(np.mean(hits))


def run_child(name, d, opts):
    """Run one child; its rows, each with the child's wall time and peak RSS."""
    cmd = [sys.executable, HERE, "--child", name, "--child-dir", d, "--child-opts", json.dumps(opts)]
    t = time.perf_counter()
    # One BLAS thread: exact single queries are matrix-vector products, which a BLAS pool
    # on a shared 2-core machine slows down (spin-waiting threads) instead of speeding up.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    rows, peak_rss_mb = run_json_child(cmd, env)
    if rows is None:
        print(f"  {name}: child failed", flush=True)
        return []
    for r in rows:
        r["peak_rss_mb"] = peak_rss_mb
        r["child_s"] = time.perf_counter() - t
    return rows


# --------------------------------------------------------------------------- report


def machine():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "loadavg_1min_at_start": round(os.getloadavg()[0], 2),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _cell(value, spec):
    return "-" if value is None else format(value, spec)


def print_table(title, rows, vector_mb):
    exact_1 = next((r["qps"] for r in rows if r["method"] == "exact 1-query"), None)
    print(f"\n{title} (vectors: {vector_mb:,.0f} MB)")
    head = ["method", "recall@10", "QPS 1-query", "x exact 1-q", "QPS batch", "build s",
            "index MB", "peak RSS MB", "RSS / vectors"]
    table = [head]
    for r in rows:
        qps = r.get("qps")
        batch = r.get("batch_qps", qps if r["method"] == "exact batch" else None)
        single = None if r["method"] == "exact batch" else qps
        table.append([r["method"], _cell(r.get("recall"), ".4f"), _cell(single, ",.0f"),
                      _cell(single / exact_1 if single and exact_1 else None, ",.1f"),
                      _cell(batch, ",.0f"), _cell(r.get("build_s"), ".1f"),
                      _cell(r.get("index_mb"), ",.0f"), _cell(r["peak_rss_mb"], ",.0f"),
                      _cell(r["peak_rss_mb"] / vector_mb, ".2f")])
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for j, row in enumerate(table):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="vectors (default 1,000,000)")
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--clusters", type=int, default=10_000)
    p.add_argument("--queries", type=int, default=10_000)
    p.add_argument("--single-queries", type=int, default=1000,
                   help="queries timed one at a time for exact search and annoy (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--M", type=int, default=32)
    p.add_argument("--efConstruction", type=int, default=100)
    p.add_argument("--ef", default="16,32,64,128,256", help="efSearch values")
    p.add_argument("--trees", type=int, default=100, help="annoy trees (gensim's num_trees)")
    p.add_argument("--search-k", default="10000,50000,200000", help="annoy search_k values")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--skip", default="",
                   help="comma list of groups (exact,hnsw,hnsw-mmap,annoy) or children "
                        "(e.g. hnsw-build) to skip; data and indexes already made are reused")
    p.add_argument("--imdb", help="also on vectors trained on this corpus (.xz)")
    p.add_argument("--libraries", help="instead: compare these HNSW libraries on the mixture "
                                       "(e.g. faiss,hnswlib,usearch; --M is their M/connectivity)")
    p.add_argument("--work", default="/tmp/fastw2v_ann_bench", help="data, indexes, ground truth")
    p.add_argument("--json", help="write all rows and the machine block here")
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    p.add_argument("--child-dir", help=argparse.SUPPRESS)
    p.add_argument("--child-opts", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        rows = CHILDREN[args.child](args.child_dir, json.loads(args.child_opts))
        print(json.dumps(rows))
        return 0
    info = machine()
    print(json.dumps(info), flush=True)
    if info["loadavg_1min_at_start"] > 0.5:
        print(f"note: load average {info['loadavg_1min_at_start']} at start: other processes share the CPU")
    skip = set(filter(None, args.skip.split(",")))
    opts = {"n": args.n, "dim": args.dim, "clusters": args.clusters, "queries": args.queries,
            "seed": args.seed, "imdb": args.imdb and os.path.abspath(args.imdb), "M": args.M,
            "efConstruction": args.efConstruction, "threads": args.threads,
            "ef": [int(x) for x in args.ef.split(",")], "trees": args.trees,
            "search_k": [int(x) for x in args.search_k.split(",") if x],
            "single_queries": args.single_queries}
    report = {"machine": info, "args": vars(args), "results": {}}
    for d in prepare(args, opts):
        rows = []
        plan = [("exact", "exact"), ("hnsw-build", "hnsw"), ("hnsw-query", "hnsw"),
                ("hnsw-build-mmap", "hnsw-mmap"), ("hnsw-query-mmap", "hnsw-mmap"), ("annoy", "annoy")]
        if args.libraries:
            if "imdb" in d:
                continue
            plan = [("exact", "exact")] + [(lib, "library") for lib in args.libraries.split(",")]
        for child, group in plan:
            if group in skip or child in skip:
                continue
            print(f"{os.path.basename(d)}: {child} ...", flush=True)
            if group == "library":
                rows += run_child("library", d, dict(opts, library=child))
                continue
            rows += run_child(child, d, opts)
            print(f"  {json.dumps(rows[-1]) if rows else ''}", flush=True)
        vector_mb = os.path.getsize(os.path.join(d, "vectors.npy")) / 2**20
        print_table(os.path.basename(d), rows, vector_mb)
        report["results"][os.path.basename(d)] = rows
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
