"""Command line: ``fastw2v train / similar / analogy / evaluate / plot / index / convert / demo``.

Also reachable as ``python -m fastw2v``. ``fastw2v train`` understands word2vec.c's
flag spellings too (``-train -output -size -cbow 0|1 ...``, with word2vec.c's defaults),
so ``fastw2v -train corpus.txt -output vec.bin ...`` runs an existing word2vec.c script.

Exit status: 0 on success, 2 for bad arguments (argparse), 1 with a one-line
``fastw2v: error: ...`` message for missing or bad files and unknown words.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from .params import BY_NAME, FASTTEXT_PARAMS, PARAMS

DEMO_WORDS = ("god", "king", "david", "water", "sin")
RAW = argparse.RawDescriptionHelpFormatter

# The hyper-parameters with command-line flags, from the model's parameter table
# (fastw2v.params): name -> row. Flags are ours first, then word2vec.c's spelling.
TRAIN_OPTIONS = {p.name: p for p in PARAMS if p.flags}
W2V_ONLY = ("-train", "-output", "-hs", "-binary", "-cbow", "-save-vocab", "-read-vocab")
W2V_FLAGS = frozenset(W2V_ONLY) | {flag for p in TRAIN_OPTIONS.values() for flag in p.flags[1:]}
# FastText's own rows (--fasttext): ours first, then fastText's spelling (-minn ...).
FASTTEXT_OPTIONS = {p.name: p for p in FASTTEXT_PARAMS if p.flags}
# fastText's spellings of the shared parameters (Facebook's `fasttext skipgram` flags);
# gensim's defaults stay for whatever is not given.
FASTTEXT_SPELLINGS = {"-dim": "vector_size", "-ws": "window", "-epoch": "epochs",
                      "-neg": "negative", "-thread": "workers", "-minCount": "min_count",
                      "-lr": "alpha", "-t": "sample"}


def _w2v_dest(flag: str) -> str:
    return "w2v_" + flag[1:].replace("-", "_")


TRAIN_EPILOG = """\
word2vec.c spellings (single dash) are accepted too, with word2vec.c's defaults for
whatever is not given: -cbow 1, -alpha 0.05 for CBOW / 0.025 for skip-gram, -binary 0,
-threads 12 (gensim's defaults otherwise: CBOW, alpha 0.025, binary output, 3 threads).
  -train FILE -output FILE -size N -window N -sample F -hs 0|1 -negative N -threads N
  -iter N -min-count N -alpha F -binary 0|1 -cbow 0|1 -save-vocab FILE -read-vocab FILE

CORPUS: one sentence per line, tokens separated by whitespace; .gz/.bz2 are read
through LineSentence, '-' reads standard input. OUT ending in .kv is saved in fastw2v's
native format, otherwise in word2vec.c's binary (default) or text (--text) format.

examples:
  fastw2v train corpus.txt -o vectors.bin --sg --size 200 --epochs 5
  fastw2v -train corpus.txt -output vectors.txt -cbow 0 -size 200 -window 5 -negative 5 \\
      -hs 0 -sample 1e-4 -threads 4 -binary 0 -iter 5
  zcat corpus.txt.gz | fastw2v train - -o vectors.kv
"""


# ------------------------------------------------------------------ helpers


def _progress(args):
    """False with --quiet, a tqdm bar on a terminal, log lines (None) otherwise."""
    if getattr(args, "quiet", False):
        return False
    return True if sys.stderr.isatty() else None


def _setup_logging(progress) -> None:
    if progress is None:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s : %(levelname)s : %(message)s")


VECTORS_HELP = "word2vec binary/text, native .kv, or a fastText .bin (any word gets a vector)"


def load_vectors(path: str):
    """KeyedVectors from a native ``.kv`` file (word2vec or FastText vectors), a Facebook
    fastText ``.bin`` (any word gets a vector) or word2vec.c binary/text (sniffed)."""
    from .keyedvectors import KeyedVectors
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    if path.endswith(".floret"):
        raise ValueError(f"{path}: a .floret file holds floret's bucket table but no vocabulary, "
                         "so there are no words to search; query the model's .bin or .kv instead")
    if path.endswith(".kv"):
        from .io.native import read_kind
        if read_kind(path) == "FastTextKeyedVectors":
            from .fasttext_vectors import FastTextKeyedVectors
            return FastTextKeyedVectors.load(path)
        return KeyedVectors.load(path)
    if _is_fasttext_bin(path):
        from .models.fasttext import load_facebook_vectors
        return load_facebook_vectors(path)
    return KeyedVectors.load_word2vec_format(path, binary=_is_binary(path))


def _is_fasttext_bin(path: str) -> bool:
    """True for a file that starts with fastText's magic number (int32 793712314, LE)."""
    from .io.facebook_bin import MAGIC
    with open(path, "rb") as fin:
        return fin.read(4) == MAGIC.to_bytes(4, "little")


def _is_binary(path: str) -> bool:
    """True unless the line after the header is 'word f1 ... f_dim' in text."""
    from .io._files import open_binary
    with open_binary(path) as fin:
        header = fin.readline().split()
        first = fin.readline(1 << 16)
    try:
        dim = int(header[1])
        fields = first.decode("utf8").split()
        [float(x) for x in fields[1:]]
    except (IndexError, ValueError, UnicodeDecodeError):
        return True
    return len(fields) != dim + 1


def _print_neighbours(pairs) -> None:
    for word, score in pairs:
        print(f"{word}\t{score:.4f}")


# ------------------------------------------------------------------ train


def _first_given(args, dests):
    """The value of the first of these parsed options that was given (None if none was):
    our flag first, then the other spellings of the same option."""
    return next((v for v in (getattr(args, d) for d in dests) if v is not None), None)


def _resolve(args) -> dict:
    """Hyper-parameters from our flags, then word2vec.c's, then the style's defaults."""
    w2v = any(getattr(args, _w2v_dest(f)) is not None for f in W2V_FLAGS)
    opts = {}
    for name, param in TRAIN_OPTIONS.items():
        value = _first_given(args, [name] + [_w2v_dest(flag) for flag in param.flags[1:]])
        default = param.w2v_default if w2v and param.w2v_default is not None else param.default
        opts[name] = value if value is not None else default
    _resolve_fasttext(args, opts)
    if args.sg is not None:
        opts["sg"] = args.sg
    else:  # CBOW is both gensim's and word2vec.c's default
        opts["sg"] = 1 - args.w2v_cbow if args.w2v_cbow is not None else 0
    if w2v and args.alpha is None and args.w2v_alpha is None:
        opts["alpha"] = 0.025 if opts["sg"] else 0.05  # word2vec.c's default depends on -cbow
    opts["hs"] = int(args.hs or bool(args.w2v_hs))
    binary = args.binary if args.binary is not None else args.w2v_binary
    corpus = args.corpus or args.w2v_train
    output = args.output or args.w2v_output
    if not corpus or not output:
        raise SystemExit(_usage_error("train needs a CORPUS and -o OUT (or -train and -output)"))
    return opts, {"corpus": corpus, "output": output,
                  "binary": bool(binary) if binary is not None else not w2v}


def _ft_dest(flag: str) -> str:
    return "ft_" + flag[1:]


def _resolve_fasttext(args, opts) -> None:
    """With --fasttext: FastText's rows and fastText's spellings into `opts` (ours win);
    without it, refuse them (they would be silently meaningless for word2vec)."""
    given = [f for f in FASTTEXT_SPELLINGS if getattr(args, _ft_dest(f)) is not None]
    given += [p.flags[0] for name, p in FASTTEXT_OPTIONS.items()
              if getattr(args, name) is not None or getattr(args, _ft_dest(p.flags[1])) is not None]
    if not args.fasttext:
        if given:
            raise SystemExit(_usage_error(f"{', '.join(given)} need --fasttext"))
        return
    for flag, name in FASTTEXT_SPELLINGS.items():
        value = getattr(args, _ft_dest(flag))
        if value is not None and getattr(args, name) is None:
            opts[name] = value
    for name, param in FASTTEXT_OPTIONS.items():
        value = _first_given(args, [name, _ft_dest(param.flags[1])])
        opts[name] = value if value is not None else param.default


def _usage_error(message: str) -> int:
    print(f"usage: fastw2v train CORPUS -o OUT [options]\nfastw2v train: error: {message}",
          file=sys.stderr)
    return 2


def _open_corpus(path: str) -> dict:
    """The corpus argument for build_vocab()/train(): in-memory stdin, LineSentence or file."""
    from .corpus import LineSentence
    if path == "-":
        return {"corpus_iterable": [line.split() for line in sys.stdin if line.strip()]}
    from .corpus.sources import is_uri
    if is_uri(path):  # s3://, https://...: streamed (corpus_file needs a local file)
        return {"corpus_iterable": LineSentence(path)}
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such corpus file: {path}")
    if path.endswith((".gz", ".bz2", ".xz", ".zst")):
        return {"corpus_iterable": LineSentence(path)}
    return {"corpus_file": path}


def _save_vocab(wv, path: str) -> None:
    """word2vec.c's vocabulary file: "word count" per line, most frequent first."""
    counts = wv.expandos["count"]
    with open(path, "w", encoding="utf8") as fout:
        for word, count in zip(wv.index_to_key, counts):
            fout.write(f"{word} {int(count)}\n")


def _distributed(args, path: str, progress):
    """--distributed / --checkpoint: the model class, this rank's progress, corpus and options.

    Ranks other than 0 stay quiet; the corpus must be uncompressed files every rank
    can read (a file, or a directory read as PathLineSentences).
    """
    from .corpus import PathLineSentences
    from .distributed import Word2Vec, world
    if path == "-" or path.endswith((".gz", ".bz2")):
        raise ValueError("--distributed reads byte ranges of the corpus: give an uncompressed "
                         "file or a directory of them, not standard input or .gz/.bz2")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such corpus file: {path}")
    corpus = {"corpus_iterable": PathLineSentences(path)} if os.path.isdir(path) \
        else {"corpus_file": path}
    comm = world()
    return (Word2Vec, progress if comm.rank == 0 else False, corpus,
            {"comm": comm, "checkpoint": args.checkpoint, "sync": sync_schedule(args)})


def sync_schedule(args):
    """--round-words / --hot-rows as ``SyncSchedule(...)`` (the other field at its class
    default, as in Python), or None for the job's default (``SyncSchedule.for_ranks``)."""
    given = {name: getattr(args, name) for name in ("round_words", "hot_rows")
             if getattr(args, name, None) is not None}
    if not given:
        return None
    from .distributed import SyncSchedule
    return SyncSchedule(**given)


def train(args) -> int:
    """Train word vectors on CORPUS and write them to OUT."""
    from .io.word2vec_format import read_vocab_file
    opts, files = _resolve(args)
    progress = _progress(args)
    if (args.round_words is not None or args.hot_rows is not None) and not args.distributed:
        raise SystemExit(_usage_error("--round-words and --hot-rows set how ranks merge: "
                                      "they need --distributed"))
    if args.fasttext and (args.distributed or args.checkpoint):
        raise SystemExit(_usage_error("--fasttext trains in one process: no --distributed "
                                      "or --checkpoint yet"))
    if files["output"].endswith(".floret") and opts.get("mode") != "floret":
        raise SystemExit(_usage_error("a .floret output holds floret vectors: train them with "
                                      "--fasttext --mode floret"))
    if args.fasttext:
        from .fasttext import FastText
        model_cls = FastText
    else:
        from .word2vec import Word2Vec
        model_cls = Word2Vec
    if args.distributed or args.checkpoint:
        model_cls, progress, corpus, extra = _distributed(args, files["corpus"], progress)
        opts.update(extra)
    else:
        corpus = _open_corpus(files["corpus"])
    _setup_logging(progress)
    model = model_cls(**opts, progress=progress)
    if args.read_vocab:
        model.build_vocab_from_freq(read_vocab_file(args.read_vocab))
    else:
        model.build_vocab(**corpus)
    model.train(**corpus, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=model.epochs)
    if args.save_vocab and (not hasattr(model, "comm") or model.comm.rank == 0):  # rank 0 writes
        _save_vocab(model.wv, args.save_vocab)
    if files["output"].endswith(".kv"):
        model.wv.save(files["output"])
    elif args.fasttext and files["output"].endswith(".bin"):
        from .models.fasttext import save_facebook_model
        save_facebook_model(model, files["output"])
    elif args.fasttext and files["output"].endswith(".floret"):
        model.wv.save_floret_vectors(files["output"])
    else:
        model.wv.save_word2vec_format(files["output"], binary=files["binary"])
    if progress is not False:
        print(f"wrote {len(model.wv):,} vectors of {model.vector_size} dimensions to "
              f"{files['output']}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ queries


def similar(args) -> int:
    """Print the nearest neighbours of WORD (through an approximate index with --index)."""
    kv = load_vectors(args.vectors)
    indexer = None
    if args.index:
        from .similarities import load_indexer
        indexer = load_indexer(args.index, kv, mmap=True)
    _print_neighbours(kv.most_similar(args.word, topn=args.n, indexer=indexer))
    return 0


def index(args) -> int:
    """Build an HNSW index of VECTORS and save it to INDEX (and INDEX.json)."""
    from .similarities import HnswIndexer
    progress = _progress(args)
    _setup_logging(progress)
    kv = load_vectors(args.vectors)
    start = time.perf_counter()
    indexer = HnswIndexer(kv, M=args.M, efConstruction=args.efConstruction, efSearch=args.efSearch,
                          workers=args.threads, progress=progress)
    indexer.save(args.output)
    if progress is not False:
        print(f"indexed {len(kv):,} vectors in {time.perf_counter() - start:.1f}s: {args.output} "
              f"(and {args.output}.json)", file=sys.stderr)
    return 0


def analogy(args) -> int:
    """A is to B as C is to ?: print the best answers."""
    kv = load_vectors(args.vectors)
    _print_neighbours(kv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.n))
    return 0


def _gensim_datapath(name: str):
    try:
        from gensim.test.utils import datapath
    except ImportError:
        return None
    return datapath(name)


def evaluate(args) -> int:
    """Analogy accuracy and word-pair correlation of VECTORS."""
    analogies, pairs = args.analogies, args.pairs
    if analogies is None and pairs is None:  # neither given: gensim's test files
        analogies = _gensim_datapath("questions-words.txt")
        pairs = _gensim_datapath("wordsim353.tsv")
    if analogies is None and pairs is None:
        raise ValueError("gensim's test data is not installed: give --analogies FILE and/or --pairs FILE")
    kv = load_vectors(args.vectors)
    if analogies is not None:
        score, sections = kv.evaluate_word_analogies(analogies)
        total = sections[-1]
        n = len(total["correct"]) + len(total["incorrect"])
        print(f"analogies: accuracy {score:.4f} on {n} questions ({os.path.basename(analogies)})")
    if pairs is not None:
        pearson, spearman, oov = kv.evaluate_word_pairs(pairs)
        print(f"word pairs: Spearman {spearman[0]:.4f}, Pearson {pearson[0]:.4f}, "
              f"{oov:.1f}% pairs with unknown words ({os.path.basename(pairs)})")
    return 0


def plot(args) -> int:
    """Draw a 2-D projection of some word vectors to a PNG."""
    kv = load_vectors(args.vectors)
    kv.plot(words=args.words, top=args.top, skip=args.skip, method=args.method, path=args.output)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def convert(args) -> int:
    """Convert a gensim pickle to fastw2v's native format (the only pickle fastw2v reads)."""
    from .io.gensim_convert import convert_pickle
    obj = convert_pickle(args.source, args.target)
    print(f"wrote {type(obj).__name__} of {len(getattr(obj, 'wv', obj)):,} words to {args.target}",
          file=sys.stderr)
    return 0


# ------------------------------------------------------------------ demo


def demo(args) -> int:
    """Train on the embedded King James Bible and show what the vectors learned."""
    from .datasets import KJV
    from .plot import METHOD_NAMES
    from .word2vec import Word2Vec

    corpus = list(KJV())
    start = time.perf_counter()
    model = Word2Vec(corpus, vector_size=100, window=5, min_count=5, sg=1, epochs=args.epochs,
                     workers=args.threads, seed=1, progress=_progress(args) is True)
    seconds = time.perf_counter() - start
    words = sum(len(s) for s in corpus)
    print(f"trained skip-gram on the King James Bible: {words:,} words, {len(model.wv):,} "
          f"word types, {args.epochs} epochs, {args.threads} threads in {seconds:.1f}s "
          f"({words * args.epochs / seconds:,.0f} words/s)\n")
    for word in DEMO_WORDS:
        neighbours = ", ".join(w for w, _ in model.wv.most_similar(word, topn=6))
        print(f"  {word:>6} -> {neighbours}")
    answer = model.wv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    print(f"\n  king - man + woman = {', '.join(w for w, _ in answer)}")
    if args.plot:
        title = (f"King James Bible, skip-gram: words ranked {args.skip + 1}-{args.skip + 100} "
                 f"by frequency, {METHOD_NAMES[args.method]}")
        model.wv.plot(top=100, skip=args.skip, path=args.plot, title=title, method=args.method)
        print(f"\n  plot of 100 words written to {args.plot}")
    return 0


# ------------------------------------------------------------------ parsers


_ARG_TYPES = {"int": int, "flag": int, "float": float, "text": str}


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train word vectors on a text corpus", epilog=TRAIN_EPILOG,
                       formatter_class=RAW, allow_abbrev=False,
                       description="Train word2vec vectors on CORPUS and write them to OUT.")
    p.add_argument("corpus", nargs="?", metavar="CORPUS", help="text file, .gz/.bz2, or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="output vectors (.kv: native format)")
    p.add_argument("--sg", dest="sg", action="store_const", const=1, help="skip-gram")
    p.add_argument("--cbow", dest="sg", action="store_const", const=0, help="CBOW (default)")
    for name, param in TRAIN_OPTIONS.items():
        kind = _ARG_TYPES[param.kind]
        p.add_argument(param.flags[0], dest=name, type=kind, metavar="N" if kind is int else "X",
                       help=f"{param.help} (default {param.default})")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax")
    p.add_argument("--binary", dest="binary", action="store_const", const=1,
                   help="word2vec binary output (default)")
    p.add_argument("--text", dest="binary", action="store_const", const=0, help="text output")
    p.add_argument("--save-vocab", "-save-vocab", metavar="FILE", help="write 'word count' lines")
    p.add_argument("--read-vocab", "-read-vocab", metavar="FILE",
                   help="take the vocabulary from a 'word count' file")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--distributed", action="store_true",
                   help="train across the ranks of an MPI job (run under mpiexec or srun; "
                        "--threads per rank; pip install 'fastw2v[mpi]')")
    p.add_argument("--round-words", type=int, metavar="N",
                   help="--distributed: in-vocabulary words each rank trains between merges "
                        "(default 50,000 on 2 ranks, 25,000 on more; on a cluster of many-core "
                        "nodes, 1,000,000 or more: see benchmarks/README.md, scaling model)")
    p.add_argument("--hot-rows", type=int, metavar="N",
                   help="--distributed: most frequent rows merged after every round (default "
                        "1,024 on 2 ranks, 4,096 on more; 1,024 with --round-words alone)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="save a checkpoint after each epoch; rerun to resume from the last one")
    p.add_argument("--fasttext", action="store_true",
                   help="train FastText (character n-gram) vectors; OUT ending in .bin is "
                        "written as a Facebook fastText model (floret's with --mode floret), "
                        ".floret as floret's vectors for spaCy (--mode floret), .kv natively, "
                        "else word2vec")
    ft = p.add_argument_group("FastText (with --fasttext; fastText's spellings too: -minn -maxn "
                              "-bucket -dim -ws -epoch -neg -thread -minCount -lr -t)")
    for name, param in FASTTEXT_OPTIONS.items():
        kind = _ARG_TYPES[param.kind]
        choices = param.choices or None
        ft.add_argument(param.flags[0], dest=name, type=kind, metavar=None if choices else "N",
                        choices=choices, help=f"{param.help} (default {param.default})")
        for flag in param.flags[1:]:
            ft.add_argument(flag, dest=_ft_dest(flag), type=kind, choices=choices,
                            help=argparse.SUPPRESS)
    for flag, name in FASTTEXT_SPELLINGS.items():
        ft.add_argument(flag, dest=_ft_dest(flag), type=_ARG_TYPES[BY_NAME[name].kind],
                        help=argparse.SUPPRESS)
    w2v = p.add_argument_group("word2vec.c spellings (see below)")
    for flag in ("-train", "-output"):
        w2v.add_argument(flag, dest="w2v_" + flag[1:], metavar="FILE", help=argparse.SUPPRESS)
    for flag in ("-hs", "-binary", "-cbow"):
        w2v.add_argument(flag, dest="w2v_" + flag[1:], type=int, choices=(0, 1),
                         help=argparse.SUPPRESS)
    for param in TRAIN_OPTIONS.values():
        for flag in param.flags[1:]:
            w2v.add_argument(flag, dest=_w2v_dest(flag), type=_ARG_TYPES[param.kind],
                             help=argparse.SUPPRESS)
    p.set_defaults(func=train, w2v_save_vocab=None, w2v_read_vocab=None)


def _add_queries(sub) -> None:
    p = sub.add_parser("similar", help="nearest neighbours of a word", formatter_class=RAW,
                       description="Print the N words closest to WORD (cosine similarity).",
                       epilog="example:\n  fastw2v similar vectors.bin king -n 5")
    p.add_argument("vectors", metavar="VECTORS", help=VECTORS_HELP)
    p.add_argument("word", metavar="WORD")
    p.add_argument("-n", type=int, default=10, help="how many (default 10)")
    p.add_argument("--index", metavar="INDEX", help="answer from this approximate index "
                                                    "(built by 'fastw2v index' for VECTORS)")
    p.set_defaults(func=similar)
    p = sub.add_parser("analogy", help="A is to B as C is to ?", formatter_class=RAW,
                       description="Answer 'A is to B as C is to ?' by B - A + C (3CosAdd).",
                       epilog="example:\n  fastw2v analogy vectors.bin man king woman")
    p.add_argument("vectors", metavar="VECTORS", help=VECTORS_HELP)
    for name in "abc":
        p.add_argument(name, metavar=name.upper())
    p.add_argument("-n", type=int, default=10, help="how many answers (default 10)")
    p.set_defaults(func=analogy)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="analogy accuracy and word-similarity correlation",
                       formatter_class=RAW,
                       description="Evaluate VECTORS on an analogy file and/or a word-pair file "
                                   "(when neither is given: gensim's questions-words.txt and "
                                   "wordsim353.tsv, if gensim is installed).",
                       epilog="example:\n  fastw2v evaluate vectors.bin --pairs simlex999.txt")
    p.add_argument("vectors", metavar="VECTORS", help=VECTORS_HELP)
    p.add_argument("--analogies", metavar="FILE", help="': section' headers, then 'a b c d' lines")
    p.add_argument("--pairs", metavar="FILE", help="'word1<TAB>word2<TAB>score' lines")
    p.set_defaults(func=evaluate)


def _add_plot(sub) -> None:
    p = sub.add_parser("plot", help="2-D picture of word vectors (PNG)", formatter_class=RAW,
                       description="Project word vectors to 2-D (PCA or t-SNE) and draw them, "
                                   "labelled, to a PNG. Needs: pip install fastw2v[plot]",
                       epilog="examples:\n  fastw2v plot vectors.bin --top 100 -o plot.png\n"
                              "  fastw2v plot vectors.bin --words king queen man woman -o kq.png")
    p.add_argument("vectors", metavar="VECTORS", help=VECTORS_HELP)
    p.add_argument("--words", nargs="+", metavar="WORD", help="the words to draw")
    p.add_argument("--top", type=int, default=100, help="else the N most frequent (default 100)")
    p.add_argument("--skip", type=int, default=0, help="leave out the N most frequent first")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca", help="default pca")
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="where to write")
    p.set_defaults(func=plot)


def _add_convert(sub) -> None:
    p = sub.add_parser("convert", help="convert a gensim model file to fastw2v's format",
                       formatter_class=RAW,
                       description="Load a gensim Word2Vec model or KeyedVectors saved with gensim's "
                                   "save() (a pickle) through gensim, and write it in fastw2v's "
                                   "native format (JSON + .npy, no pickle). Loading a pickle can run "
                                   "code: convert only files you trust. Needs gensim.",
                       epilog="example:\n  fastw2v convert word2vec.model word2vec.w2v\n"
                              "  python -c \"from fastw2v import Word2Vec; "
                              "Word2Vec.load('word2vec.w2v')\"")
    p.add_argument("source", metavar="OLD", help="file written by gensim's save()")
    p.add_argument("target", metavar="NEW", help="where to write the fastw2v model")
    p.set_defaults(func=convert)


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="train on the embedded King James Bible and print neighbours",
                       description="Train skip-gram on the King James Bible shipped with fastw2v "
                                   "and print nearest neighbours and one analogy.",
                       epilog="examples:\n  fastw2v demo --epochs 5\n"
                              "  fastw2v demo --plot demo.png --method tsne",
                       formatter_class=RAW)
    p.add_argument("--epochs", type=int, default=5, help="passes over the corpus (default 5)")
    p.add_argument("--threads", type=int, default=2, help="training threads (default 2)")
    p.add_argument("--plot", metavar="PNG", help="also draw 100 frequent words to this PNG")
    p.add_argument("--skip", type=int, default=150,
                   help="most frequent (function) words left out of the plot (default 150)")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca",
                   help="plot projection (default pca; tsne needs scikit-learn)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=demo)


def _add_index(sub) -> None:
    p = sub.add_parser("index", help="build an approximate nearest-neighbour (HNSW) index",
                       formatter_class=RAW,
                       description="Build an HNSW index of VECTORS (faiss; pip install "
                                   "\"fastw2v[ann]\") and save it to INDEX and INDEX.json, for "
                                   "'fastw2v similar VECTORS WORD --index INDEX'.",
                       epilog="example:\n  fastw2v index vectors.bin -o vectors.hnsw\n"
                              "  fastw2v similar vectors.bin king --index vectors.hnsw")
    p.add_argument("vectors", metavar="VECTORS", help=VECTORS_HELP)
    p.add_argument("-o", "--output", required=True, metavar="INDEX", help="where to write")
    p.add_argument("--M", type=int, default=32, help="graph links per vector (default 32)")
    p.add_argument("--efConstruction", type=int, default=100,
                   help="candidates while building (default 100)")
    p.add_argument("--efSearch", type=int, default=64,
                   help="candidates while searching, saved with the index (default 64)")
    p.add_argument("--threads", type=int, default=None, help="build threads (default all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=index)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastw2v", description="Fast word2vec training.",
                                     allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_train, _add_queries, _add_evaluate, _add_plot, _add_index, _add_convert,
                _add_demo):
        add(sub)
    return parser


def _w2v_argv(argv: list) -> list:
    """``fastw2v -train ...`` (a word2vec.c command line) means ``fastw2v train -train ...``."""
    if argv and argv[0] in W2V_FLAGS:
        return ["train", *argv]
    return argv


def main(argv=None) -> int:
    argv = _w2v_argv(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("fastw2v: interrupted", file=sys.stderr)
        return 130
    except (OSError, KeyError, ValueError, ImportError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"fastw2v: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
