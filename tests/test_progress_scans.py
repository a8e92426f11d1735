"""Progress of the corpus_file scans: a bar, log lines or nothing, as ``progress`` says."""
import logging

import pytest

from fastw2v import Word2Vec
from fastw2v.corpus._filescan import scan_vocab
from fastw2v.progress import FileProgress


@pytest.fixture()
def corpus_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(f"w{i % 7} w{i % 5} w{i % 3} the of" for i in range(3000)) + "\n")
    return str(path)


def test_scan_reports_bytes_read_up_to_the_file_size(corpus_file):
    import os
    seen = []
    scan_vocab(corpus_file, n_threads=3, progress=seen.append)
    assert seen and seen == sorted(seen)
    assert seen[-1] >= os.path.getsize(corpus_file)


def test_log_mode_emits_lines(caplog):
    caplog.set_level(logging.INFO, logger="fastw2v")
    shown = FileProgress(None, 1000, "vocabulary", report_delay=0.0)
    shown(500)
    shown.close()
    assert any("vocabulary: read" in r.getMessage() for r in caplog.records)


def test_bar_for_file_scans_and_silence_when_off(corpus_file, capsys, caplog):
    pytest.importorskip("tqdm")
    Word2Vec(corpus_file=corpus_file, min_count=1, epochs=1, vector_size=8, progress=True)
    err = capsys.readouterr().err
    assert "vocabulary" in err and "encoding" not in err  # one read: the scan encodes too
    # max_vocab_size prunes while counting, so train() reads the file a second time
    Word2Vec(corpus_file=corpus_file, min_count=1, epochs=1, vector_size=8, progress=True,
             max_vocab_size=10**6)
    err = capsys.readouterr().err
    assert "vocabulary" in err and "encoding" in err
    caplog.set_level(logging.INFO, logger="fastw2v")
    Word2Vec(corpus_file=corpus_file, min_count=1, epochs=1, vector_size=8, progress=False)
    assert capsys.readouterr().err == ""
    assert not [r for r in caplog.records if "read" in r.getMessage() and "MB" in r.getMessage()]
