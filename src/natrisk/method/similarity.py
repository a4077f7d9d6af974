"""Text similarity of signals: near-duplicates and candidate threats (clusters).

Texts become TF-IDF vectors over character n-grams within words (3 to 5 characters,
sublinear term frequency, unit length), so the same measure serves Dutch and English without
a stemmer or a word list: "overstroming"/"overstromingen" and "flood"/"flooding" share most
of their n-grams. Cosine similarity of two vectors is their dot product.

- Near-duplicates are pairs at cosine similarity >= ``threshold`` (default 0.8), found by
  multiplying blocks of rows with the whole matrix, so memory stays at one block.
- Candidate threats are clusters of scikit-learn's agglomerative clustering with average
  linkage on cosine distance, cut at ``distance`` (default 0.75). Texts that are the same
  after normalisation are merged first, so an exact duplicate always shares its cluster.
  Up to ``DENSE_LIMIT`` distinct texts the full distance matrix is used. Beyond it, each
  text's nearest neighbours are found in a space reduced by truncated SVD and their exact
  similarity computed; as average-linkage clusters never cross a component of the pairs
  within the cut, each component is clustered exactly on its own (one still too large is
  split at a stricter similarity first). Memory stays linear in the number of texts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

DENSE_LIMIT = 4000
BLOCK = 1000
NEIGHBOURS = 15
Progress = Callable[[float], None] | None


def normalise(text: str) -> str:
    """Lower case, accents folded, punctuation as space, runs of space as one."""
    folded = text.casefold()
    if not folded.isascii():  # only then can there be accents to fold
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", folded).strip()


def vectorise(texts: Sequence[str]) -> sparse.csr_matrix:
    """Unit-length TF-IDF rows over character 3-5-grams within words (language-agnostic)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts:
        return sparse.csr_matrix((0, 0))
    model = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
    )
    cleaned = [normalise(t) or "_" for t in texts]
    return model.fit_transform(cleaned).tocsr()


def near_duplicates(
    matrix: sparse.csr_matrix, threshold: float = 0.8, progress: Progress = None
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, similarity) with i < j and cosine similarity >= threshold.

    Exact up to ``DENSE_LIMIT`` rows. Beyond, candidates are each row's nearest neighbours
    in the reduced space that come near the threshold there, and each candidate's similarity
    is then computed exactly; a text with more than ``NEIGHBOURS`` near-duplicates keeps its
    nearest ones (its group stays connected through them).
    """
    if matrix.shape[0] < 2:
        return []
    if matrix.shape[0] <= DENSE_LIMIT:
        rows, cols, sims = _exact_pairs(matrix, threshold)
    else:
        rows, cols, sims = candidate_edges(matrix, progress)
        keep = sims >= threshold - 1e-6
        rows, cols, sims = rows[keep], cols[keep], sims[keep]
    if progress:
        progress(1.0)
    return sorted(
        zip(rows.tolist(), cols.tolist(), np.minimum(sims, 1.0).round(4).tolist(), strict=True)
    )


def _exact_pairs(
    matrix: sparse.csr_matrix, threshold: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    products = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    keep = products.data >= threshold - 1e-6
    return (
        products.row[keep].astype(np.int64),
        products.col[keep].astype(np.int64),
        products.data[keep],
    )


def distinct(texts: Sequence[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The distinct normalised texts, and for every text the index of its distinct text."""
    index: dict[str, int] = {}
    of = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        of[i] = index.setdefault(normalise(text), len(index))
    return list(index), of


def clusters(
    texts: Sequence[str], distance: float = 0.75, progress: Progress = None
) -> npt.NDArray[np.int64]:
    """A cluster number for every text (0, 1, ... in order of first appearance)."""
    if not texts:
        return np.empty(0, dtype=np.int64)
    unique, of = distinct(texts)
    if len(unique) == 1:
        return np.zeros(len(texts), dtype=np.int64)
    matrix = vectorise(unique)
    if progress:
        progress(0.2)
    labels = _agglomerate(matrix, distance)
    if progress:
        progress(1.0)
    return _renumber(labels[of])


def _agglomerate(matrix: sparse.csr_matrix, distance: float) -> npt.NDArray[np.int64]:
    n = matrix.shape[0]
    if n <= DENSE_LIMIT:
        return _average_linkage(matrix, distance)
    # Two clusters merge under average linkage only if some pair across them is within the
    # cut, so every cluster lies inside one component of the graph of such pairs: cluster
    # the components one by one, exactly.
    rows, cols, sims = candidate_edges(matrix)
    return _by_components(matrix, rows, cols, sims, 1.0 - distance, distance)


def _by_components(
    matrix: sparse.csr_matrix,
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    sims: npt.NDArray[np.float32],
    floor: float,
    distance: float,
) -> npt.NDArray[np.int64]:
    """Average linkage within each component of the pairs at similarity >= floor; a component
    too large for a dense matrix is split again at a higher floor (a stricter reading)."""
    n = matrix.shape[0]
    keep = sims >= floor - 1e-6
    graph = sparse.coo_matrix(
        (np.ones(int(keep.sum()), np.int8), (rows[keep], cols[keep])), shape=(n, n)
    )
    _, component = sparse.csgraph.connected_components(graph, directed=False)
    labels = np.empty(n, dtype=np.int64)
    offset = 0
    order = np.argsort(component, kind="stable")
    for members in np.split(order, np.cumsum(np.bincount(component))[:-1]):
        if len(members) == 1:
            part = np.zeros(1, np.int64)
        elif len(members) <= DENSE_LIMIT or floor >= 0.99:
            part = (
                _average_linkage(matrix[members], distance)
                if len(members) <= DENSE_LIMIT
                else np.arange(len(members))
            )
        else:
            index = np.full(n, -1, np.int64)
            index[members] = np.arange(len(members))
            inside = (index[rows] >= 0) & (index[cols] >= 0)
            part = _by_components(
                matrix[members],
                index[rows[inside]],
                index[cols[inside]],
                sims[inside],
                min(0.99, floor + 0.1),
                distance,
            )
        labels[members] = part + offset
        offset += int(part.max()) + 1
    return labels


def candidate_edges(
    matrix: sparse.csr_matrix, progress: Progress = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Each row's nearest neighbours (found in a reduced space) with their exact similarity."""
    graph = sparse.triu(_neighbour_graph(_reduce(matrix), progress), k=1).tocoo()
    rows, cols = graph.row.astype(np.int64), graph.col.astype(np.int64)
    sims = np.empty(len(rows), np.float32)
    step = 20_000  # pairs at a time: two row blocks of that many pairs stay small
    for start in range(0, len(rows), step):
        a, b = rows[start : start + step], cols[start : start + step]
        sims[start : start + step] = np.asarray(matrix[a].multiply(matrix[b]).sum(axis=1)).ravel()
    return rows, cols, sims


def _average_linkage(matrix: sparse.csr_matrix, distance: float) -> npt.NDArray[np.int64]:
    from sklearn.cluster import AgglomerativeClustering

    dist = 1.0 - (matrix @ matrix.T).toarray()
    np.clip(dist, 0.0, 2.0, out=dist)
    np.fill_diagonal(dist, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    )
    return np.asarray(model.fit_predict(dist), dtype=np.int64)


def _reduce(matrix: sparse.csr_matrix, dims: int = 64) -> npt.NDArray[np.float32]:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    svd = TruncatedSVD(n_components=min(dims, matrix.shape[1] - 1), random_state=0)
    return np.asarray(normalize(svd.fit_transform(matrix)), dtype=np.float32)


def _neighbour_graph(
    vectors: npt.NDArray[np.float32], progress: Progress = None
) -> sparse.csr_matrix:
    """Each row linked to its nearest neighbours, weighted by their cosine similarity."""
    n = vectors.shape[0]
    k = min(NEIGHBOURS, n - 1)
    rows, cols, sims = [], [], []
    for start in range(0, n, BLOCK):
        block = vectors[start : start + BLOCK] @ vectors.T
        width = block.shape[1]
        nearest = np.argpartition(block, width - k - 1, axis=1)[:, width - k - 1 :]
        rows.append(np.repeat(np.arange(start, start + len(block)), k + 1))
        cols.append(nearest.ravel())
        sims.append(np.take_along_axis(block, nearest, axis=1).ravel())
        if progress:
            progress(0.9 * min(1.0, (start + BLOCK) / n))
    r, c = np.concatenate(rows), np.concatenate(cols)
    w = np.clip(np.concatenate(sims), 1e-6, 1.0)
    graph = sparse.coo_matrix((w, (r, c)), shape=(n, n)).tocsr()
    graph.setdiag(0)
    graph.eliminate_zeros()
    return graph.maximum(graph.T).tocsr()


def _renumber(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Cluster numbers in order of first appearance, so results do not depend on the library."""
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    mapping = np.empty(labels.max() + 1, dtype=np.int64)
    mapping[np.unique(labels)[order]] = np.arange(len(order))
    return mapping[labels]


def analyse(
    texts: Sequence[str],
    threshold: float = 0.8,
    distance: float = 0.75,
    progress: Progress = None,
) -> tuple[list[tuple[int, int, float]], npt.NDArray[np.int64]]:
    """Near-duplicate pairs and cluster numbers at once, sharing one vectorisation and one
    neighbour search (the same results as ``near_duplicates`` and ``clusters``)."""
    if len(texts) < 2:
        return [], np.zeros(len(texts), dtype=np.int64)
    unique, of = distinct(texts)
    matrix = vectorise(unique)
    if matrix.shape[0] <= DENSE_LIMIT:
        rows, cols, sims = _exact_pairs(matrix, min(threshold, 1.0 - distance))
        labels = _average_linkage(matrix, distance) if len(unique) > 1 else np.zeros(1, np.int64)
    else:
        rows, cols, sims = candidate_edges(matrix, progress)
        labels = _by_components(matrix, rows, cols, sims, 1.0 - distance, distance)
    keep = sims >= threshold - 1e-6
    members: dict[int, list[int]] = {}
    for i, u in enumerate(of.tolist()):
        members.setdefault(u, []).append(i)
    pairs = [
        (min(a, b), max(a, b), round(float(min(s, 1.0)), 4))
        for u, v, s in zip(
            rows[keep].tolist(), cols[keep].tolist(), sims[keep].tolist(), strict=True
        )
        for a in members[u]
        for b in members[v]
    ]
    pairs += [
        (a, b, 1.0)
        for group in members.values()
        for k, a in enumerate(group)
        for b in group[k + 1 :]
    ]
    if progress:
        progress(1.0)
    return sorted(pairs), _renumber(labels[of])
