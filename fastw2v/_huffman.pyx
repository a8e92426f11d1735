# cython: language_level=3
"""Hierarchical softmax's Huffman tree, for fastw2v.vocab.huffman_tree.

A vocabulary routine, run once per ``build_vocab``, in integers only: the merges
(0.08 s as a Python heap loop for 53,000 words, ~1 ms here) and every word's path.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t

import numpy as np


def huffman_merges(counts):
    """Parent, branch bit and children of every node of the Huffman tree over ``counts``.

    The merges equal those of a heap of ``(count, node)`` pairs that pops the two
    smallest and pushes their sum as the next node (gensim's ``heapq`` build, ties to
    the lower node index), as one sort and a linear merge: the leaves in ascending
    ``(count, index)`` order are one sorted queue, and the inner nodes, made with non-decreasing counts
    and increasing indices, are another, so the smaller head of the two is the heap's
    smallest pair.

    Parameters
    ----------
    counts : array of int
        Leaf weights (word counts), at least two, none negative.

    Returns
    -------
    parent : numpy.ndarray of int64
        Parent of each of the ``2n - 1`` nodes (leaves ``0..n-1``, inner nodes
        ``n..2n-2`` in the order they were made; the root's entry is 0).
    branch : numpy.ndarray of uint8
        1 for the second node of each merge, else 0.
    children : numpy.ndarray of int64, shape (n - 1, 2)
        The two nodes merged into inner node ``n + j``, smaller first.
    """
    weights_in = np.ascontiguousarray(counts, dtype=np.int64)
    cdef int64_t n = weights_in.shape[0]
    if n < 2:
        raise ValueError("a Huffman tree needs at least two leaves, got %d" % n)
    if (weights_in < 0).any():
        raise ValueError("counts must not be negative")
    order = np.lexsort((np.arange(n), weights_in))  # ascending (count, index)
    parent_arr = np.zeros(2 * n - 1, dtype=np.int64)
    branch_arr = np.zeros(2 * n - 1, dtype=np.uint8)
    children_arr = np.zeros((n - 1, 2), dtype=np.int64)
    weight_arr = np.zeros(2 * n - 1, dtype=np.int64)
    weight_arr[:n] = weights_in
    cdef int64_t[::1] leaves = order.astype(np.int64)
    cdef int64_t[::1] parent = parent_arr
    cdef uint8_t[::1] branch = branch_arr
    cdef int64_t[:, ::1] children = children_arr
    cdef int64_t[::1] weight = weight_arr
    cdef int64_t next_leaf = 0, next_inner = n, inner, k, node
    with nogil:
        for inner in range(n, 2 * n - 1):
            for k in range(2):
                # The smaller (count, index) head; an inner node's index exceeds every
                # leaf's, so a tie goes to the leaf, as in the heap.
                if next_leaf < n and (next_inner >= inner
                                      or weight[leaves[next_leaf]] <= weight[next_inner]):
                    node = leaves[next_leaf]
                    next_leaf += 1
                else:
                    node = next_inner
                    next_inner += 1
                parent[node] = inner
                branch[node] = <uint8_t>k
                children[inner - n, k] = node
            weight[inner] = weight[children[inner - n, 0]] + weight[children[inner - n, 1]]
    return parent_arr, branch_arr, children_arr


def huffman_paths(counts):
    """Every word's Huffman code and inner-node path (see fastw2v.vocab.huffman_tree).

    Parameters
    ----------
    counts : array of int
        Word counts, at least two, none negative.

    Returns
    -------
    codes : numpy.ndarray of uint8
        All words' codes concatenated, root first.
    points : numpy.ndarray of int32
        The inner nodes on each path (node ``n + j`` is ``j``, a row of ``syn1``), root first.
    offsets : numpy.ndarray of int64
        Word ``i``'s code and points are ``[offsets[i], offsets[i + 1])``.
    """
    parent_arr, branch_arr, children_arr = huffman_merges(counts)
    cdef int64_t n = children_arr.shape[0] + 1
    cdef int64_t[::1] parent = parent_arr
    cdef uint8_t[::1] branch = branch_arr
    cdef int64_t[:, ::1] children = children_arr
    depth_arr = np.zeros(2 * n - 1, dtype=np.int64)
    cdef int64_t[::1] depth = depth_arr
    cdef int64_t inner, word, node, at
    with nogil:
        # A child's index is below its parent's: from the root down, every parent's
        # depth is known before its children's.
        for inner in range(2 * n - 2, n - 1, -1):
            depth[children[inner - n, 0]] = depth[inner] + 1
            depth[children[inner - n, 1]] = depth[inner] + 1
    offsets_arr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(depth_arr[:n], out=offsets_arr[1:])
    codes_arr = np.empty(int(offsets_arr[n]), dtype=np.uint8)
    points_arr = np.empty(int(offsets_arr[n]), dtype=np.int32)
    cdef int64_t[::1] offsets = offsets_arr
    cdef uint8_t[::1] codes = codes_arr
    cdef int32_t[::1] points = points_arr
    with nogil:
        for word in range(n):  # leaf up to the root, filling the path from its end
            node = word
            at = offsets[word + 1] - 1
            while at >= offsets[word]:
                codes[at] = branch[node]
                points[at] = <int32_t>(parent[node] - n)
                node = parent[node]
                at -= 1
    return codes_arr, points_arr, offsets_arr
