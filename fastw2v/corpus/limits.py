"""Limits on sentences, shared by every reader and encoder of fastw2v.

One home for the sentence cap, so that the Python readers, the C file reader
(:mod:`fastw2v.corpus._filescan`) and the encoders (:mod:`fastw2v.encode`) split
long sentences at the same length.
"""

#: Most tokens in one sentence: a longer one is split into consecutive sentences of at
#: most this many tokens, never truncated. gensim and word2vec.c use the same 10,000
#: (gensim calls it ``MAX_WORDS_IN_BATCH``, a name fastw2v keeps for ``batch_words``'
#: default only).
MAX_SENTENCE_TOKENS = 10000

__all__ = ["MAX_SENTENCE_TOKENS"]
