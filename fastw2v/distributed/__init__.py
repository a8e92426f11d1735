"""Distributed training: one model over many machines with MPI.

Run a script that builds a model as usual under an MPI launcher and it trains
across the ranks::

    from fastw2v.distributed import Word2Vec
    model = Word2Vec(corpus_file="corpus.txt", sg=1, workers=8, epochs=5)
    model.wv.save_word2vec_format("vectors.bin", binary=True)     # rank 0 writes

or from the command line: ``mpiexec -n 4 fastw2v train --distributed corpus.txt -o vec.bin``.

Modules, in the order a run uses them: :mod:`.comm` (the communicator interface,
:mod:`.mpi` its MPI implementation), :mod:`.partition` (which bytes each rank
reads), :mod:`.vocab` (counts merged across ranks), :mod:`.sync` (the sync
schedule between rounds of training), :mod:`.checkpoint` (epoch-end checkpoints,
resume), :mod:`.model` (the ``Word2Vec`` that ties them to the ordinary layers).
``pip install 'fastw2v[mpi]'`` installs mpi4py and MPICH.
"""
from .comm import Communicator, LocalComm, world
from .model import DistributedKeyedVectors, Word2Vec, abort_on_error
from .sync import SyncSchedule

__all__ = ["Communicator", "DistributedKeyedVectors", "LocalComm", "SyncSchedule", "Word2Vec",
           "abort_on_error", "world"]
