# The contract between the trainer (Python, holding the GIL) and the training
# kernels (C, without it). Python (TrainJob) fills one TrainConfig and one
# ThreadState per thread (new_thread_state), checks every bound once, then each
# thread calls train_chunks().

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

# ---------------------------------------------------------------- constants

cdef enum:
    MAX_EXP = 6             # sigmoid is 0/1 beyond +-MAX_EXP (word2vec.c)
    SIGMOID_TABLE_SIZE = 1024


# ---------------------------------------------------------------- settings

ctypedef struct TrainSettings:
    # One field per field of fastw2v.kernels.TrainParams, same names and meaning
    # (see its docstring): TrainJob fills this struct from the dataclass in one
    # assignment, and tests/test_kernels.py checks the two agree. A new kernel
    # parameter is a field there, a field here, and its use in the kernels.
    int sg                    # 1 skip-gram, 0 CBOW
    int hs                    # hierarchical softmax on
    int negative              # negatives per positive example (0 = off)
    int cbow_mean             # CBOW hidden layer is the mean (1) or the sum (0)
    int window
    int shrink_windows        # draw the effective window uniformly in 1..window
    int compute_loss
    float start_alpha         # learning rate at the first word ...
    float end_alpha           # ... and at the last, linear in between
    int64_t schedule_total    # in-vocabulary words over all epochs
    int64_t hot_nodes         # HS inner nodes each thread keeps private (see below)
    int64_t sync_words        # words between merges of those private nodes


# ---------------------------------------------------------------- shared config

ctypedef struct TrainConfig:
    # Model matrices, shared by all threads and updated without locks (Hogwild).
    # Row w of each is `pitch` floats past row w - 1 (the pitches below), dim floats used.
    float *syn0               # input vectors, n_words rows
    float *syn1               # hierarchical-softmax inner nodes, n_words rows (the last unused)
    float *syn1neg            # negative-sampling output vectors, n_words rows
    int dim
    int32_t n_words
    # Floats from one row to the next (the numpy row stride / 4) of syn0, syn1, syn1neg
    # and syn0_ngrams: dim for a C-contiguous matrix, more for one whose rows are padded
    # to whole 64-byte lines (fastw2v.vector_store.padded_rows): a row that straddles
    # lines costs every 512-bit load and store of it two lines.
    int64_t syn0_pitch
    int64_t syn1_pitch
    int64_t syn1neg_pitch
    int64_t ngrams_pitch

    # The scalar settings (objective, window, learning-rate schedule), as given.
    TrainSettings settings

    # Tables built by fastw2v.vocab.
    const uint32_t *sample_int   # keep a word when sample_int[w] >= a random uint32
    const uint32_t *alias        # Walker alias sampler over count**ns_exponent: per slot,
                                 # the acceptance threshold and the alias, side by side
    const uint8_t *codes         # Huffman codes, word w's at [path_offsets[w], path_offsets[w+1])
    const int32_t *points        # inner nodes along the same paths
    const int64_t *path_offsets
    const float *sigmoid_table

    # Per-row factor on the input rows' updates (gensim's vectors_lockf: 0 freezes a
    # row); NULL when every factor is 1, so the default costs nothing.
    const float *lockf

    # Corpus as an id stream and the chunks threads take from it.
    const int32_t *ids
    const int64_t *sent_offsets   # sentence s is ids[sent_offsets[s]:sent_offsets[s+1]]
    const int64_t *chunk_starts   # chunk c is sentences [chunk_starts[c], chunk_starts[c+1])
    int64_t n_chunks
    int64_t *next_chunk           # shared counter, atomically incremented

    # Learning rate decays linearly over settings.schedule_total words.
    int64_t *schedule_done        # shared counter of words processed so far

    int *stop                     # set to 1 by Python (Ctrl-C, an error elsewhere)

    # Random streams belong to chunks, not threads: a thread that takes chunk c of
    # epoch e restarts its stream from (seed, e, c), so which thread trains a chunk
    # does not change its draws (a one-chunk corpus trains identically with any
    # number of threads; only Hogwild's interleaving differs between runs).
    uint64_t seed
    int64_t epoch

    # Hot nodes: with hierarchical softmax every window writes the top of the Huffman
    # tree (the root is on every path). With several threads those rows bounce between
    # cores on every write, so each thread updates private copies of the hottest
    # inner nodes and adds its change to the shared rows every sync_words words.
    # Off (no rows) with one thread, where there is nothing to share.
    # TrainJob derives these from settings.hot_nodes and settings.sync_words.
    int32_t hot_hs_lo             # syn1 rows [hot_hs_lo, hot_hs_hi) are private between syncs
    int32_t hot_hs_hi
    int64_t sync_interval         # words between syncs (never, when no rows are private)
    int32_t hs_prefetch_below     # syn1 rows worth a prefetch: below the private ones and
                                  # the ~6 root levels every path shares (always cached)

    # FastText subwords (NULL ngram_offsets: word2vec, and the subword code never runs),
    # last so that word2vec's fields keep their offsets. A word's input row is the mean
    # of its own syn0 row and the syn0_ngrams rows of its character n-gram buckets,
    # ngram_ids[ngram_offsets[w]:ngram_offsets[w + 1]] (CSR, built once per vocabulary
    # by fastw2v._ngrams); its gradient goes to all of them.
    float *syn0_ngrams            # bucket rows, n_buckets rows ngrams_pitch apart
    const int64_t *ngram_offsets  # n_words + 1
    const int32_t *ngram_ids      # rows of syn0_ngrams
    const float *ngram_lockf      # per-bucket factor on updates; NULL when all 1


# ---------------------------------------------------------------- per-thread state

ctypedef struct ThreadState:
    uint64_t rng                  # this thread's random stream (splitmix64 + xorshift*)
    int32_t *sentence             # subsampled sentence, capacity max_sentence_length
    int32_t *in_rows              # context words of one window
    float **in_ptrs               # their rows (SG) or the hidden layer (CBOW)
    int32_t *out_rows             # output rows of one block: path nodes or target+negatives
    float **out_ptrs              # where those rows are read and written (shared or private)
    float *labels                 # 1 for the target / 1 - code for HS, 0 for negatives
    float *grads                  # n_in x n_out scaled errors of one block
    float *grad_in                # accumulated input gradients, n_in rows line_pitch apart
    int64_t line_pitch            # fw_line_pitch(dim): grad_in's and the ring's rows on whole lines
    float *hidden                 # CBOW hidden layer, dim
    int32_t *negatives            # the window's negative draws, drawn before its update
    int32_t *neg_batch            # draws for the next windows, made NEG_BATCH_WINDOWS at a time
    int64_t neg_pos               # next unused draw in neg_batch
    int64_t neg_len               # draws per batch
    float *hot_hs_rows            # private copies of the hot nodes (see TrainConfig) ...
    float *hot_hs_base            # ... and the shared rows as of the last sync
    int64_t since_sync            # words trained since the last sync
    double loss                   # float64 tally, summed over threads by Python
    int64_t words                 # in-vocabulary words read
    int64_t effective_words       # words left after subsampling
    # FastText (last: word2vec's fields keep their offsets). A ring of the sentence
    # positions the current windows can reach (2 * window + 1 slots; position j in
    # slot j % ring): each position's composite input row (the mean of its word's rows),
    # the input gradient it has collected (without lock factors, ft_in_place: the
    # composite as built, which the flush subtracts), its rows' mean lock factor and count.
    int32_t n_ring
    float *ring_rows              # n_ring rows line_pitch apart
    float *ring_grads             # n_ring rows line_pitch apart
    float *ring_factor            # n_ring
    float *ring_count             # n_ring
    int32_t *ctx_slot             # the window's context positions' slots, n_in
    float **ctx_rows              # CBOW: their composites, n_in ...
    float *ctx_weight             # ... and each one's weight in the hidden layer, n_in
    # A new buffer is a field above and one line in lay_out_state (_train_state.pxi).


cdef void train_chunks(TrainConfig *cfg, ThreadState *st) noexcept nogil
