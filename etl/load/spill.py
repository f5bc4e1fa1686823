"""Sorted runs of (key hash, row number) kept in temporary files, with a small summary in memory.

`SeenKeys` moves its keys here once they pass its memory budget, so a file of any length
costs about 1.5 bytes a row in memory (the Bloom filter) instead of 12. A run is checked a
chunk at a time: keys outside the run's range and keys the Bloom filter rules out (all but
~1% of keys never seen) are done with in memory; each remaining key costs one small
`os.pread` of the block of the run the sparse fence index points to, which also gives the
earlier row number. Runs are written by a streaming merge of sorted sources, so writing or
merging runs never holds more than a few blocks in memory.

The files are anonymous (`tempfile.TemporaryFile`: unlinked at once, on Linux never named),
so they vanish with their descriptor even if the process is killed; `close()` releases them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator

import numpy as np

RECORD = np.dtype([("key", "<i8"), ("row", "<i4")])
"""One key of a run on disk: its 64-bit hash and the row it first appeared on (12 bytes, packed)."""

Block = tuple[np.ndarray, np.ndarray]
"""Sorted int64 keys and their int32 row numbers."""

FENCE_EVERY = 128
"""Keys per block of a run file: the fence index keeps the first key of each (8 bytes per 128
keys), and confirming a Bloom positive reads one block (1.5 KB)."""

BLOCK_KEYS = 1 << 16
"""Keys read or written at a time when a run is streamed."""

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_SIX_BITS = np.uint64(63)


class BloomFilter:
    """A blocked Bloom filter: each key sets, and is tested against, 5 bits of one 64-bit word,
    so a test is one gather and one compare, vectorised over a chunk. 12 bits a key give about
    1% false positives (16 bits: 0.45%, for a third more of the memory that grows with the
    file). Keys are remixed (splitmix64) first: ids arrive as raw integers."""

    BITS_PER_KEY = 12
    PROBES = 5

    def __init__(self, capacity: int) -> None:
        self._words = np.zeros(max(1, -(-capacity * self.BITS_PER_KEY // 64)), dtype=np.uint64)

    def add(self, keys: np.ndarray) -> None:
        """Set the keys' bits. A vectorised `|=` keeps only one of the keys that share a word,
        so it is repeated for the keys not yet set: a few rounds, since about 4 keys share a
        word, and 2-3x faster than `np.bitwise_or.at`."""
        word, mask = self._probe(keys)
        while len(word):
            self._words[word] |= mask
            unset = (self._words[word] & mask) != mask
            word, mask = word[unset], mask[unset]

    def may_contain(self, keys: np.ndarray) -> np.ndarray:
        """False where a key was certainly never added."""
        word, mask = self._probe(keys)
        contained: np.ndarray = (self._words[word] & mask) == mask
        return contained

    def _probe(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The word each key maps to (from the mixed hash's high 32 bits) and its bit mask (from
        5 six-bit fields of the low 32 bits)."""
        mixed = np.ascontiguousarray(keys, dtype=np.int64).view(np.uint64)
        mixed = (mixed ^ (mixed >> np.uint64(30))) * _MIX_1
        mixed = (mixed ^ (mixed >> np.uint64(27))) * _MIX_2
        mixed ^= mixed >> np.uint64(31)
        word = ((mixed >> np.uint64(32)) * np.uint64(len(self._words))) >> np.uint64(32)
        mask = _ONE << (mixed & _SIX_BITS)
        for probe in range(1, self.PROBES):
            mask |= _ONE << ((mixed >> np.uint64(6 * probe)) & _SIX_BITS)
        return word.astype(np.intp), mask


class DiskRun:
    """One sorted run of distinct keys in its own temporary file, with its range, a fence index
    and a Bloom filter in memory. Built by `write`; read by `find` and `blocks`."""

    def __init__(self, length: int) -> None:
        self.length = length
        self._file = tempfile.TemporaryFile()
        self._bloom: BloomFilter | None = BloomFilter(length)
        self._fences = np.zeros(0, dtype=np.int64)
        self._low = self._high = 0

    @classmethod
    def write(cls, blocks: Iterable[Block], length: int) -> DiskRun:
        """A run of `length` keys from sorted blocks of distinct keys."""
        run = cls(length)
        try:
            run._fill(blocks)
        except BaseException:
            run.close()
            raise
        return run

    @classmethod
    def merge(cls, older: DiskRun, newer: DiskRun) -> DiskRun:
        """One run holding the keys of both (which share none); closes both. Their Bloom
        filters are dropped first, so the merge adds only the new run's filter to memory."""
        older._bloom = newer._bloom = None
        try:
            return cls.write(merge_sorted([older.blocks(), newer.blocks()]), older.length + newer.length)
        finally:
            older.close()
            newer.close()

    def _fill(self, blocks: Iterable[Block]) -> None:
        fences: list[np.ndarray] = []
        written = 0
        for keys, rows in blocks:
            if not len(keys):
                continue
            records = np.empty(len(keys), dtype=RECORD)
            records["key"] = keys
            records["row"] = rows
            self._file.write(records.view(np.uint8).data)
            fences.append(keys[-written % FENCE_EVERY::FENCE_EVERY].copy())  # a view would keep the block
            assert self._bloom is not None
            self._bloom.add(keys)
            if not written:
                self._low = int(keys[0])
            self._high = int(keys[-1])
            written += len(keys)
        if written != self.length:
            raise AssertionError(f"a run announced {self.length} keys but got {written}")
        self._file.flush()
        self._fences = np.concatenate(fences) if fences else self._fences

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Of sorted `keys`: the positions of those in this run, and the row of each."""
        if not self.length or self._bloom is None:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int32)
        low = np.searchsorted(keys, self._low, side="left")
        high = np.searchsorted(keys, self._high, side="right")
        candidates = np.arange(low, high, dtype=np.intp)
        candidates = candidates[self._bloom.may_contain(keys[candidates])]
        if not len(candidates):
            return candidates, np.zeros(0, dtype=np.int32)
        wanted = keys[candidates]
        records = self._read_blocks(np.unique(np.searchsorted(self._fences, wanted, side="right") - 1))
        where = np.minimum(np.searchsorted(records["key"], wanted), len(records) - 1)
        hit = records["key"][where] == wanted
        return candidates[hit], records["row"][where[hit]]

    def _read_blocks(self, blocks: np.ndarray) -> np.ndarray:
        """The records of the given fence blocks (ascending), read one `pread` each: as blocks
        hold consecutive stretches of the run, their records in order are sorted too."""
        fd, size = self._file.fileno(), FENCE_EVERY * RECORD.itemsize
        data = b"".join([os.pread(fd, size, int(block) * size) for block in blocks])
        return np.frombuffer(data, dtype=RECORD)

    def blocks(self) -> Iterator[Block]:
        """The run's keys and rows in order, a block at a time."""
        for start in range(0, self.length, BLOCK_KEYS):
            records = self._read(start, BLOCK_KEYS)
            yield records["key"].copy(), records["row"].copy()

    def _read(self, start: int, count: int) -> np.ndarray:
        count = min(count, self.length - start)
        data = os.pread(self._file.fileno(), count * RECORD.itemsize, start * RECORD.itemsize)
        if len(data) != count * RECORD.itemsize:
            raise OSError(f"short read from a temporary run file ({len(data)} of {count * RECORD.itemsize} bytes)")
        return np.frombuffer(data, dtype=RECORD)

    def close(self) -> None:
        self._file.close()
        self._bloom = None
        self._fences = np.zeros(0, dtype=np.int64)


def merge_sorted(sources: list[Iterator[Block]]) -> Iterator[Block]:
    """Merge sources of sorted blocks, no key in two sources, into sorted blocks. Each round
    emits everything up to the smallest of the buffered blocks' last keys, which empties at
    least one buffer, so memory stays at about one block per source."""
    buffers: list[Block] = []
    live: list[Iterator[Block]] = []
    for source in sources:
        block = next(source, None)
        if block is not None:
            buffers.append(block)
            live.append(source)
    while buffers:
        limit = min(keys[-1] for keys, _ in buffers)
        keys_out: list[np.ndarray] = []
        rows_out: list[np.ndarray] = []
        for index in reversed(range(len(buffers))):
            keys, rows = buffers[index]
            cut = int(np.searchsorted(keys, limit, side="right"))
            keys_out.append(keys[:cut])
            rows_out.append(rows[:cut])
            if cut < len(keys):
                buffers[index] = (keys[cut:], rows[cut:])
                continue
            block = next(live[index], None)
            if block is None:
                del buffers[index], live[index]
            else:
                buffers[index] = block
        keys = np.concatenate(keys_out)
        order = np.argsort(keys, kind="stable")
        yield keys[order], np.concatenate(rows_out)[order]


def slices(keys: np.ndarray, rows: np.ndarray) -> Iterator[Block]:
    """An in-memory run as a source of blocks (views, no copies)."""
    for start in range(0, len(keys), BLOCK_KEYS):
        yield keys[start:start + BLOCK_KEYS], rows[start:start + BLOCK_KEYS]
