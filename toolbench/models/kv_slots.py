"""KV-cache storage for batched decoding: row slots of one shared buffer, and a prefix store.

:class:`SlotCache` holds the keys and values of every open sequence in one buffer per
layer, shaped ``[rows, kv_heads, columns, head_dim]``. All rows write their new tokens
at the same columns (``width`` onwards), so a step where rows feed different numbers of
tokens leaves *holes*: columns a row does not own, masked out by :attr:`SlotCache.valid`.
A row's tokens keep their own RoPE positions (``counts[row]`` so far), so holes never
change what a row computes; they only cost memory and are squeezed out by
:meth:`SlotCache.compact`.

:class:`PrefixStore` keeps the compact KV of recently finished sequences; a new request
starts from the longest stored prefix of its prompt instead of re-encoding it (the system
prompt and tool list of a search, each DFSDT parent's history).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

# layer-wise (keys, values), each [1, kv_heads, tokens, head_dim]
LayerKV = list[tuple[Any, Any]]


def common_prefix_length(a: list[int], b: list[int]) -> int:
    """Length of the longest common prefix of two token lists.

    >>> common_prefix_length([1, 2, 3, 4], [1, 2, 5]), common_prefix_length([], [1])
    (2, 0)
    """
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


@dataclass
class _Entry:
    ids: list[int]
    kv: LayerKV


class PrefixStore:
    """Compact KV of finished sequences, looked up by longest common token prefix (LRU).

    ``max_tokens`` bounds the tokens kept over all entries; an entry whose ids are a
    prefix of a newer one is dropped (the newer one covers it).
    """

    def __init__(self, max_tokens: int = 32_768, min_reuse: int = 8) -> None:
        self.max_tokens, self.min_reuse = max_tokens, min_reuse
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._next = 0
        self._lock = threading.Lock()

    @property
    def tokens(self) -> int:
        return sum(len(e.ids) for e in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, ids: list[int]) -> tuple[int, LayerKV | None]:
        """``(reusable tokens, per-layer KV views cut to them)``; at most ``len(ids) - 1``
        tokens are reused so the last prompt token is always fed (its logits are needed)."""
        best, best_key = 0, None
        with self._lock:
            for key, entry in self._entries.items():
                n = common_prefix_length(ids, entry.ids)
                if n > best:
                    best, best_key = n, key
            best = min(best, len(ids) - 1)
            if best_key is None or best < self.min_reuse:
                return 0, None
            self._entries.move_to_end(best_key)
            kv = self._entries[best_key].kv
        return best, [(k[:, :, :best], v[:, :, :best]) for k, v in kv]

    def add(self, ids: list[int], kv: LayerKV) -> None:
        """Keep the KV of ``ids`` (``kv`` tensors must be ``len(ids)`` long and owned)."""
        if len(ids) < self.min_reuse or len(ids) > self.max_tokens:
            return
        with self._lock:
            for key in [k for k, e in self._entries.items() if common_prefix_length(e.ids, ids) == len(e.ids)]:
                del self._entries[key]
            self._entries[self._next] = _Entry(list(ids), kv)
            self._next += 1
            while self.tokens > self.max_tokens:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class _SlotLayerMethods:
    """One layer's view of a :class:`SlotCache` for a forward pass over rows ``[0, rows)``.

    transformers calls :meth:`update` with the new keys/values of every row; they are
    written at columns ``[width, width + n)`` and the whole range so far is returned.
    """

    is_sliding = False
    is_compileable = False
    supports_early_init = False

    def __init__(self, owner: SlotCache, layer: int, rows: int) -> None:
        self.owner, self.layer, self.rows = owner, layer, rows
        self.keys = self.values = None
        self.is_initialized = True

    def lazy_initialization(self, key_states: Any, value_states: Any) -> None:  # buffers exist already
        return None

    def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        n, start = key_states.shape[-2], self.owner.width
        keys, values = self.owner.keys[self.layer], self.owner.values[self.layer]
        keys[: self.rows, :, start : start + n] = key_states
        values[: self.rows, :, start : start + n] = value_states
        return keys[: self.rows, :, : start + n], values[: self.rows, :, : start + n]

    def get_seq_length(self) -> int:
        return self.owner.width

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.owner.width + query_length, 0

    def get_max_length(self) -> int:
        return -1


@functools.cache
def _slot_layer_class() -> type:
    """A transformers cache layer class over :class:`SlotCache` (transformers imported lazily)."""
    from transformers.cache_utils import CacheLayerMixin

    return type("SlotLayer", (_SlotLayerMethods, CacheLayerMixin), {})


class SlotCache:
    """Row slots of a shared KV buffer (see the module docstring)."""

    def __init__(self, layers: int, kv_heads: int, head_dim: int, *, rows: int, dtype: Any, device: Any,
                 columns: int = 1024) -> None:
        import torch

        self.n_layers, self.capacity = layers, rows
        shape = (rows, kv_heads, columns, head_dim)
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.valid = torch.zeros(rows, columns, dtype=torch.bool, device=device)
        self.counts = [0] * rows
        self.used = [False] * rows
        self.width = 0

    # -- bookkeeping --------------------------------------------------------------------------
    @property
    def columns(self) -> int:
        return self.keys[0].shape[2] if self.keys else 0

    @property
    def high(self) -> int:
        """Rows a forward pass covers: up to the last used slot."""
        return max((i + 1 for i, used in enumerate(self.used) if used), default=0)

    def free_slot(self) -> int | None:
        return next((i for i, used in enumerate(self.used) if not used), None)

    # -- rows -----------------------------------------------------------------------------------
    def add_row(self, kv: LayerKV) -> int:
        """Place a sequence's compact KV (``[1, H, P, D]`` per layer) in a free slot; returns it."""
        row = self.free_slot()
        if row is None:
            raise RuntimeError("no free row slot")
        length = kv[0][0].shape[2] if kv else 0
        if length > self.width:
            self._shift_right(length - self.width)
        start = self.width - length
        for layer, (k, v) in enumerate(kv):
            self.keys[layer][row, :, start : self.width] = k[0]
            self.values[layer][row, :, start : self.width] = v[0]
        self.valid[row] = False
        self.valid[row, start : self.width] = True
        self.counts[row], self.used[row] = length, True
        return row

    def remove_row(self, row: int, keep: bool = False) -> LayerKV | None:
        """Free ``row``; with ``keep`` return its compact KV (owned copies) for a prefix store."""
        kv = None
        if keep:
            index = self.valid[row, : self.width].nonzero().squeeze(1)
            kv = [(k[row : row + 1, :, index], v[row : row + 1, :, index]) for k, v in zip(self.keys, self.values,
                                                                                          strict=True)]
        self.valid[row] = False
        self.counts[row], self.used[row] = 0, False
        if not any(self.used):
            self.width = 0
        return kv

    # -- steps ----------------------------------------------------------------------------------
    def view(self, rows: int) -> Any:
        """A transformers ``Cache`` for a forward pass over rows ``[0, rows)`` (writes at ``width``)."""
        from transformers.cache_utils import Cache

        layer_class = _slot_layer_class()
        return Cache(layers=[layer_class(self, layer, rows) for layer in range(self.n_layers)])

    def reserve(self, n: int) -> None:
        """Make room for ``n`` more columns (compacting when holes are many, else growing)."""
        if self.width + n <= self.columns:
            return
        if self.waste() > self.width // 4:
            self.compact()
        if self.width + n > self.columns:
            self._grow(max(self.width + n, self.columns * 3 // 2))

    def commit(self, rows: int, new_valid: Any, fed: list[int]) -> None:
        """After a forward pass wrote ``n`` columns: mark which were real tokens per row."""
        n = new_valid.shape[1]
        self.valid[:rows, self.width : self.width + n] = new_valid
        for row in range(rows):
            self.counts[row] += fed[row]
        self.width += n

    def waste(self) -> int:
        """Columns beyond the longest row (holes every row has)."""
        longest = max((c for c, used in zip(self.counts, self.used, strict=True) if used), default=0)
        return self.width - longest

    def compact(self) -> None:
        """Right-align every row's valid tokens at the smallest width that holds them."""
        longest = max((c for c, used in zip(self.counts, self.used, strict=True) if used), default=0)
        for row in range(self.capacity):
            if not self.used[row]:
                continue
            index = self.valid[row, : self.width].nonzero().squeeze(1)
            count = index.numel()
            start = longest - count
            for k, v in zip(self.keys, self.values, strict=True):
                k[row, :, start:longest] = k[row, :, index].clone()
                v[row, :, start:longest] = v[row, :, index].clone()
            self.valid[row] = False
            self.valid[row, start:longest] = True
        self.width = longest

    # -- buffer management -------------------------------------------------------------------
    def _grow(self, columns: int) -> None:
        import torch

        for store in (self.keys, self.values):
            for layer, old in enumerate(store):
                new = old.new_zeros(old.shape[0], old.shape[1], columns, old.shape[3])
                new[:, :, : self.width] = old[:, :, : self.width]
                store[layer] = new
        valid = torch.zeros(self.capacity, columns, dtype=torch.bool, device=self.valid.device)
        valid[:, : self.width] = self.valid[:, : self.width]
        self.valid = valid

    def _shift_right(self, by: int) -> None:
        """Move every row's columns ``by`` to the right (a longer row is joining)."""
        if self.width + by > self.columns:
            self._grow(max(self.width + by, self.columns * 3 // 2))
        if self.width:
            for k, v in zip(self.keys, self.values, strict=True):
                k[:, :, by : by + self.width] = k[:, :, : self.width].clone()
                v[:, :, by : by + self.width] = v[:, :, : self.width].clone()
            self.valid[:, by : by + self.width] = self.valid[:, : self.width].clone()
        self.valid[:, :by] = False
        self.width += by
