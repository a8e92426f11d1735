"""Corpora where large corpora live: HTTP and S3 servers on 127.0.0.1, compressed files.

Real protocol servers, started by the tests: Python's ``http.server`` and moto's S3
server (``moto[server]``), reached through smart_open exactly as a user's code would
(no mock of the client library).
"""
import bz2
import gzip
import http.server
import lzma
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from _child import CHILD_CWD, child_env

from fastw2v import LineSentence, PathLineSentences, Text8Corpus, Word2Vec

pytest.importorskip("smart_open")

LINES = [f"w{i % 7} w{(i * 3) % 11} common w{i % 5} tail{i % 3}" for i in range(400)]
TEXT = ("\n".join(LINES) + "\n").encode()


STREAM_BYTES = 256 << 20  # /stream.txt: generated on the fly, never stored


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    sent = {}  # path -> bytes written so far

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        if self.path != "/stream.txt":
            return super().do_GET()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(STREAM_BYTES))
        self.end_headers()
        total, block = 0, TEXT * 64
        while total < STREAM_BYTES:
            piece = block[:STREAM_BYTES - total]
            try:
                self.wfile.write(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            total += len(piece)
            self.sent[self.path] = total

    def copyfile(self, source, outputfile):
        total = 0
        while True:
            block = source.read(1 << 16)
            if not block:
                break
            try:
                outputfile.write(block)
            except (BrokenPipeError, ConnectionResetError):
                break
            total += len(block)
            self.sent[self.path] = total


@pytest.fixture(scope="module")
def http_root(tmp_path_factory):
    pytest.importorskip("requests")  # smart_open's http client (the test extra has it)
    root = tmp_path_factory.mktemp("www")
    (root / "corpus.txt").write_bytes(TEXT)
    (root / "corpus.txt.gz").write_bytes(gzip.compress(TEXT))

    def handler(*args, **kwargs):
        return _CountingHandler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def _local(tmp_path, data=TEXT, name="corpus.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_line_sentence_over_http_equals_the_local_file(http_root, tmp_path):
    base, _ = http_root
    local = list(LineSentence(str(_local(tmp_path))))
    assert list(LineSentence(f"{base}/corpus.txt")) == local
    assert list(LineSentence(f"{base}/corpus.txt.gz")) == local  # decompressed on the fly
    assert list(LineSentence(f"{base}/corpus.txt", limit=3)) == local[:3]
    assert list(PathLineSentences(f"{base}/corpus.txt")) == local


def test_http_corpus_is_streamed_not_downloaded_first(http_root):
    base, _ = http_root
    reader = iter(LineSentence(f"{base}/stream.txt"))
    first = [next(reader) for _ in range(5)]
    assert first[0] == LINES[0].split()
    sent = _CountingHandler.sent.get("/stream.txt", 0)
    reader.close()
    # The lines came while the server had sent a small part of the 256 MB (socket buffers).
    assert 0 < sent < STREAM_BYTES / 8, sent


def test_text8_over_http(http_root):
    base, _ = http_root
    tokens = TEXT.decode().split()
    sentences = list(Text8Corpus(f"{base}/corpus.txt", max_sentence_length=50))
    assert sum(sentences, []) == tokens and all(len(s) <= 50 for s in sentences)


def test_training_from_http_equals_training_from_the_local_file(http_root, tmp_path):
    base, _ = http_root
    kw = dict(vector_size=8, min_count=1, epochs=2, workers=1, seed=3)
    remote = Word2Vec(LineSentence(f"{base}/corpus.txt"), **kw)
    local = Word2Vec(LineSentence(str(_local(tmp_path))), **kw)
    assert remote.wv.index_to_key == local.wv.index_to_key
    np.testing.assert_array_equal(remote.wv.vectors, local.wv.vectors)


def test_cli_trains_on_a_url(http_root, tmp_path):
    base, _ = http_root
    out = tmp_path / "v.txt"
    proc = subprocess.run([sys.executable, "-m", "fastw2v", "train", f"{base}/corpus.txt", "-o",
                           str(out), "--text", "--min-count", "1", "--size", "8", "--quiet"],
                          capture_output=True, text=True, timeout=120, cwd=CHILD_CWD,
                          env=child_env())
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().splitlines()[0].split() == [str(len(set(TEXT.split()))), "8"]


def test_corpus_file_refuses_a_url_and_says_what_to_use(http_root):
    base, _ = http_root
    with pytest.raises(ValueError, match=r"LineSentence\("):
        Word2Vec(corpus_file=f"{base}/corpus.txt", min_count=1)


@pytest.mark.parametrize("suffix, compress", [(".gz", gzip.compress), (".bz2", bz2.compress),
                                              (".xz", lzma.compress)])
def test_local_compressed_files(tmp_path, suffix, compress):
    plain = list(LineSentence(str(_local(tmp_path))))
    packed = _local(tmp_path, compress(TEXT), "corpus.txt" + suffix)
    assert list(LineSentence(str(packed))) == plain
    assert list(PathLineSentences(str(packed))) == plain


@pytest.fixture(scope="module")
def s3_bucket():
    pytest.importorskip("boto3")
    server_mod = pytest.importorskip("moto.server")
    import boto3

    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server._server.server_port
    env = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = boto3.client("s3")
        client.create_bucket(Bucket="fastw2v-corpora")
        client.put_object(Bucket="fastw2v-corpora", Key="imdb/part-0.txt", Body=TEXT)
        client.put_object(Bucket="fastw2v-corpora", Key="imdb/part-0.txt.bz2",
                          Body=bz2.compress(TEXT))
        yield "s3://fastw2v-corpora"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def test_line_sentence_over_s3(s3_bucket, tmp_path):
    local = list(LineSentence(str(_local(tmp_path))))
    assert list(LineSentence(f"{s3_bucket}/imdb/part-0.txt")) == local
    assert list(LineSentence(f"{s3_bucket}/imdb/part-0.txt.bz2")) == local


def test_training_from_s3_equals_training_from_the_local_file(s3_bucket, tmp_path):
    kw = dict(vector_size=8, min_count=1, epochs=2, workers=1, seed=5, sg=1)
    remote = Word2Vec(LineSentence(f"{s3_bucket}/imdb/part-0.txt"), **kw)
    local = Word2Vec(LineSentence(str(_local(tmp_path))), **kw)
    np.testing.assert_array_equal(remote.wv.vectors, local.wv.vectors)


def test_missing_s3_object_raises_a_clear_error(s3_bucket):
    with pytest.raises(OSError):
        list(LineSentence(f"{s3_bucket}/no/such/key.txt"))


def test_zstandard_files_through_smart_open(tmp_path):
    pytest.importorskip("backports.zstd" if sys.version_info < (3, 14) else "compression.zstd")
    zstd = pytest.importorskip("zstandard")  # writes the test file (both in the test extra)
    plain = list(LineSentence(str(_local(tmp_path))))
    packed = _local(tmp_path, zstd.ZstdCompressor().compress(TEXT), "corpus.txt.zst")
    assert list(LineSentence(str(packed))) == plain
