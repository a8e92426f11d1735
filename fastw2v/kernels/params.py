"""TrainParams: the scalar settings of one training run, as the kernels read them.

The training kernels' C struct ``TrainSettings`` (``_train_decl.pxi``) has one
field per field of :class:`TrainParams`, same names, same order; ``TrainJob``
copies the dataclass into it in one assignment. A new kernel parameter is a field
here, a field there, and its use in the kernels (tests check the two agree).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainParams:
    """What the training kernels need to know besides the matrices, tables and corpus.

    Values are used as given: the model (``Word2Vec``) checks its parameters;
    ``TrainJob`` checks only what keeps the kernels' memory accesses in bounds.

    Attributes
    ----------
    sg : int
        1 for skip-gram, 0 for CBOW.
    hs : int
        1 to train with hierarchical softmax (needs the Huffman tables).
    negative : int
        Negative samples drawn per window (0: no negative sampling); at least one
        of ``hs`` and ``negative`` must be on.
    cbow_mean : int
        CBOW's hidden layer is the mean (1) or the sum (0) of the context rows.
    window : int
        Largest distance between the centre word and a context word, >= 1.
    shrink_windows : int
        1 to draw each window's size uniformly from 1..window (word2vec's default).
    compute_loss : int
        1 to sum the training loss (costs a log per output row).
    start_alpha : float
        Learning rate at the first word of the run ...
    end_alpha : float
        ... and at the last: it decays linearly over ``schedule_total`` words.
    schedule_total : int
        In-vocabulary words the run will process, over all epochs.
    hot_nodes : int
        With hierarchical softmax and several threads: how many of the Huffman
        tree's top inner nodes each thread updates in a private copy (0: none).
    sync_words : int
        Words a thread trains between merges of its private nodes, >= 1.
    """

    sg: int
    hs: int
    negative: int
    cbow_mean: int
    window: int
    shrink_windows: int
    compute_loss: int
    start_alpha: float
    end_alpha: float
    schedule_total: int
    hot_nodes: int = 0
    sync_words: int = 10000
