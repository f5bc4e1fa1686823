"""`SeenKeys` against a plain dict, in memory and spilled to temporary files, and its Bloom filter."""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.load.keys import SeenKeys
from etl.load.spill import BLOCK_KEYS, FENCE_EVERY, BloomFilter

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def reference(chunks: Sequence[Sequence[int]]) -> list[dict[int, int]]:
    """What `check_and_add` must return per chunk: rows numbered 2, 3, … in stream order."""
    first: dict[int, int] = {}
    answers = []
    row = 2
    for chunk in chunks:
        answer = {}
        for position, key in enumerate(chunk):
            if key in first:
                answer[position] = first[key]
            else:
                first[key] = row
            row += 1
        answers.append(answer)
    return answers


def check_all(seen: SeenKeys, chunks: Sequence[Sequence[int]]) -> list[dict[int, int]]:
    answers = []
    row = 2
    for chunk in chunks:
        answers.append(seen.check_and_add(list(chunk), list(range(row, row + len(chunk)))))
        row += len(chunk)
    return answers


def temp_fds() -> set[str]:
    """Open descriptors of unlinked files in the temp dir (the run files are anonymous);
    none where there is no /proc to list them."""
    found: set[str] = set()
    if not Path("/proc/self/fd").is_dir():
        return found
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(tempfile.gettempdir()) and target.endswith("(deleted)"):
            found.add(f"{fd}:{target}")
    return found


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


@settings(max_examples=150, deadline=None)
@given(
    pool=st.lists(INT64, min_size=1, max_size=40),
    picks=st.lists(st.tuples(st.booleans(), st.integers(0, 39), INT64), max_size=300),
    chunk_size=st.sampled_from([1, 3, 16, 100]),
    budget=st.sampled_from([0, 1, 5, 33, 10_000]),
    empty_at=st.lists(st.integers(0, 300), max_size=3),
)
def test_repeats_are_reported_exactly_as_a_dict_would(pool: list[int], picks: list[tuple[bool, int, int]],
                                                      chunk_size: int, budget: int, empty_at: list[int]) -> None:
    """Keys from a small pool (many repeats, near and far) mixed with fresh ones, over budgets
    that keep everything in memory or spill after every chunk and merge the run files; empty
    chunks (a chunk whose rows all match on the other of id and key) anywhere between them."""
    stream = [pool[index % len(pool)] if repeat else fresh for repeat, index, fresh in picks]
    chunks = [stream[start:start + chunk_size] for start in range(0, len(stream), chunk_size)]
    for position in empty_at:
        chunks.insert(min(position, len(chunks)), [])
    with SeenKeys(budget) as seen:
        assert check_all(seen, chunks) == reference(chunks)


@needs_proc
def test_runs_on_disk_span_blocks_and_stay_few_and_are_deleted() -> None:
    """Runs longer than a read block, repeats at fence and block boundaries, and run files
    merged so their number grows with the log of the keys; closing releases every file."""
    before = temp_fds()
    keys = np.unique(np.random.default_rng(7).integers(-(2**62), 2**62, 3 * BLOCK_KEYS)).tolist()
    random.Random(7).shuffle(keys)
    chunks = [keys[start:start + 10_000] for start in range(0, len(keys), 10_000)]
    in_order = sorted(keys)
    repeats = [in_order[0], in_order[FENCE_EVERY - 1], in_order[FENCE_EVERY], in_order[BLOCK_KEYS],
               in_order[-1], keys[0], keys[-1], 12345]
    chunks.append(repeats)
    seen = SeenKeys(memory_budget=7_000)
    answers = check_all(seen, chunks)
    open_runs = temp_fds() - before
    assert 1 <= len(open_runs) <= 6
    seen.close()
    assert temp_fds() == before
    assert answers == reference(chunks)
    assert set(answers[-1]) == set(range(len(repeats) - 1))


@needs_proc
def test_files_are_released_when_the_caller_fails() -> None:
    before = temp_fds()
    with pytest.raises(RuntimeError), SeenKeys(memory_budget=10) as seen:
        seen.check_and_add(list(range(100)), list(range(2, 102)))
        assert temp_fds() != before
        raise RuntimeError("the import failed")
    assert temp_fds() == before


def test_ids_in_file_order_and_numbers_at_the_ends_of_int64() -> None:
    chunks = [list(range(start, start + 1_000)) for start in range(0, 20_000, 1_000)]
    chunks.append([-(2**63), 2**63 - 1, 19_999, 0, 2**63 - 1])
    with SeenKeys(memory_budget=3_000) as seen:
        assert check_all(seen, chunks) == reference(chunks)


@given(st.lists(INT64, min_size=1, max_size=500, unique=True))
def test_bloom_filter_never_forgets_a_key(keys: list[int]) -> None:
    bloom = BloomFilter(len(keys))
    bloom.add(np.array(keys, dtype=np.int64))
    assert bloom.may_contain(np.array(keys, dtype=np.int64)).all()


def test_bloom_filter_rules_out_most_other_keys() -> None:
    """Consecutive integers (ids) included: the filter mixes keys before using their bits."""
    bloom = BloomFilter(100_000)
    bloom.add(np.arange(100_000, dtype=np.int64))
    others = np.concatenate((np.arange(100_000, 200_000), np.random.default_rng(1).integers(-(2**62), 2**62, 100_000)))
    assert bloom.may_contain(others.astype(np.int64)).mean() < 0.015
