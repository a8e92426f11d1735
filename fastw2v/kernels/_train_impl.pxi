"""Training kernels: skip-gram and CBOW, negative sampling and hierarchical softmax.

Layer 4 of the design. Everything below ``train_chunks`` runs without the GIL on
plain C data described by :c:type:`TrainConfig` (shared) and :c:type:`ThreadState`
(one per thread). Python checks every index once, at the boundary
(:class:`TrainJob`), so the loops carry no bounds checks.

The update is HogBatch (Ji et al. 2016, Intel's pWord2Vec), generalised:

* skip-gram: for one centre word, the window's context rows are the inputs and
  the outputs are the centre word plus ONE set of ``negative`` samples shared by
  all of them (NS), or the centre word's Huffman path (HS; word2vec's path is
  the same for every context word, so sharing loses nothing). Scores, errors and
  both gradients are three small dense products: scores = X O^T
  (:func:`block_scores`), grads = (labels - sigmoid(scores)) * alpha,
  grad_in += grads O and O += grads^T X, the last two in one sweep over the rows
  (fw_fused.h), and each row is written once.
* CBOW: the input is the single hidden row (mean or sum of the context rows)
  and the outputs are as above; the input gradient goes to every context row.

Outputs are updated in place from a snapshot-consistent gradient (computed from
rows read before any write of the block); inputs get their accumulated gradient
at the end of the window, so a word that appears twice in a window receives
both contributions.
"""
# One module, compiled once per instruction set (_train.pyx, _train_avx2.pyx,
# _train_avx512.pyx), in
# parts by job. The contract (TrainConfig, ThreadState) is _train_decl.pxi; the C
# they call is in fw_memory.h, fw_block.h, fw_scores.h and fw_fused.h.
include "_train_kernels.pxi"   # the nogil kernels
include "_train_state.pxi"     # one ThreadState allocator for the job and the twins
include "_train_job.pxi"       # TrainJob, the Python-facing job
include "_train_twins.pxi"     # window_update, negative_draws: test entry points
