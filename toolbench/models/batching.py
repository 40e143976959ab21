"""Batched decoding for a local causal LM: concurrent requests share forward passes.

A :class:`BatchEngine` owns a model and one scheduler thread. A caller (a planner worker,
a judge) opens a :class:`Session` with its prompt's token ids, then alternates between
reading logits and feeding the tokens it chose — free text, or a schema-guided tool call
that forces some tokens and picks others (:mod:`toolbench.models.constrained`). The engine
gathers the feeds of all open sessions into one forward pass over a shared KV cache
(:class:`~toolbench.models.kv_slots.SlotCache`): decoding a 135M model on a CPU reads
every weight once per step whatever the number of rows, so 8 sequences cost far less
than 8 steps. Sessions join and leave between steps (continuous batching).

- Prompts are encoded alone, in chunks (``prefill_chunk`` tokens, interleaved with the
  batch's steps), starting from the longest stored prefix of a finished sequence
  (:class:`~toolbench.models.kv_slots.PrefixStore`): a search re-sends its system prompt,
  tool list and history at every step, and only the new tail is encoded.
- Each row keeps its own RoPE positions and attention mask, so a row's logits do not
  depend on the other rows (the tests compare batched and one-at-a-time decoding).
- Picking tokens is the caller's business (greedy, seeded sampling, schema masks), so
  sampling stays seeded per request.

>>> engine = BatchEngine(model, max_batch=8)  # doctest: +SKIP
>>> with engine.open(prompt_ids) as session:  # doctest: +SKIP
...     logits = session.logits
...     logits = session.feed([int(logits.argmax())])
"""

from __future__ import annotations

import atexit
import inspect
import logging
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from toolbench.errors import BackendError, ConfigError
from toolbench.models.kv_slots import PrefixStore, SlotCache

logger = logging.getLogger(__name__)

_ENGINES: weakref.WeakSet[BatchEngine] = weakref.WeakSet()

ALL = "all"  # want full-vocabulary logits after a feed
HIDDEN = "hidden"  # want the last hidden state (the caller scores a few tokens itself)


@dataclass
class _Request:
    """A pending feed (or a prompt to encode) and the reply slot its caller waits on."""

    tokens: list[int]
    want: str | None
    offset: int = 0  # tokens already fed (long feeds take several steps)
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    since: float = field(default_factory=time.perf_counter)

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()

    def wait(self) -> Any:
        self.done.wait()
        if self.error is not None:
            raise BackendError(f"local model failed: {self.error}") from self.error
        return self.result


class Session:
    """One sequence being decoded (see :class:`BatchEngine`); use as a context manager."""

    def __init__(self, engine: BatchEngine, ids: list[int]) -> None:
        self.engine = engine
        self.ids = list(ids)
        self.row: int | None = None
        self.reused = 0  # prompt tokens taken from the prefix store
        self.logits: Any = None  # after the prompt (or a hidden state, see ``want``)
        self.closed = False
        # prompt encoding state (engine thread only)
        self._prefill: Any = None
        self._done = 0

    def feed(self, tokens: list[int], want: str | None = ALL) -> Any:
        """Append ``tokens``; returns the last token's logits (``want="all"``), its
        hidden state (``"hidden"``) or ``None``."""
        if self.closed:
            raise RuntimeError("feed on a closed session")
        if not tokens:
            raise ValueError("feed needs at least one token")
        result = self.engine._submit(self, _Request(list(tokens), want))
        self.ids.extend(tokens)
        return result

    def close(self, keep: bool = True) -> None:
        """Leave the batch; with ``keep`` the sequence's KV joins the prefix store."""
        if not self.closed:
            self.closed = True
            self.engine._close(self, keep)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(keep=exc[0] is None)


class BatchEngine:
    """Continuous batching over one model (see the module docstring)."""

    def __init__(self, model: Any, *, max_batch: int = 8, prefill_chunk: int = 256, step_tokens: int = 8,
                 gather_ms: float = 30.0, prefix_tokens: int = 32_768) -> None:
        if max_batch < 1 or prefill_chunk < 1 or step_tokens < 1:
            raise ConfigError("batch engine: need max_batch, prefill_chunk and step_tokens >= 1")
        self.step_tokens = step_tokens
        self.model = model
        self.decoder = model.get_decoder()
        self.head = model.get_output_embeddings()
        self.softcap = getattr(model.config, "final_logit_softcapping", None)
        # transformers 5.2x renamed ``past_key_values`` to ``cache``
        self._cache_kw = "cache" if "cache" in inspect.signature(self.decoder.forward).parameters else "past_key_values"
        self.max_batch, self.prefill_chunk, self.gather = max_batch, prefill_chunk, gather_ms / 1000
        self.store = PrefixStore(prefix_tokens)
        self.slots = self._slot_cache(model, max_batch)
        self._cond = threading.Condition()
        self._opening: deque[tuple[Session, _Request]] = deque()
        self._pending: dict[int, tuple[Session, _Request]] = {}  # row -> feed
        self._sessions: dict[int, Session] = {}  # row -> open session
        self._closing: list[tuple[Session, bool]] = []
        self._stopped = False
        self.stats = {"steps": 0, "rows_per_step": 0, "prefill_tokens": 0, "reused_tokens": 0, "fed_tokens": 0,
                      "forward_seconds": 0.0, "compactions": 0}
        self._thread = threading.Thread(target=_serve, args=(weakref.ref(self),), name="batch-engine", daemon=True)
        self._thread.start()
        _ENGINES.add(self)

    @staticmethod
    def _slot_cache(model: Any, rows: int) -> SlotCache:
        config = model.config
        types = getattr(config, "layer_types", None) or []
        if any(t != "full_attention" for t in types):
            raise ConfigError("batch engine: only models whose layers all use full attention are supported")
        heads = config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
        parameter = next(model.parameters())
        return SlotCache(config.num_hidden_layers, kv_heads, head_dim, rows=rows, dtype=parameter.dtype,
                         device=parameter.device)

    # -- caller side (any thread) ----------------------------------------------------------------
    def open(self, ids: list[int], want: str | None = ALL) -> Session:
        """Encode the prompt ``ids`` (reusing a stored prefix) and return the session;
        ``session.logits`` holds what ``want`` asks for after the last prompt token."""
        if not ids:
            raise ValueError("a prompt needs at least one token")
        session = Session(self, ids)
        request = _Request(list(ids), want)
        with self._cond:
            self._check_running()
            self._opening.append((session, request))
            self._cond.notify_all()
        session.logits = request.wait()
        return session

    def _submit(self, session: Session, request: _Request) -> Any:
        with self._cond:
            self._check_running()
            assert session.row is not None
            self._pending[session.row] = (session, request)
            self._cond.notify_all()
        return request.wait()

    def _close(self, session: Session, keep: bool) -> None:
        with self._cond:
            if session.row is None:  # never joined (its prompt failed)
                return
            self._closing.append((session, keep))
            self._cond.notify_all()

    def _check_running(self) -> None:
        if self._stopped:
            raise BackendError("the local model engine is stopped")

    def shutdown(self) -> None:
        """Stop the scheduler thread (pending callers get an error)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=10)
        self.store.clear()

    # -- engine thread ------------------------------------------------------------------------
    def _iterate(self) -> bool:
        """Wait (at most a second) for work and do one round; ``False`` once stopped."""
        with self._cond:
            self._cond.wait_for(self._has_work, timeout=1.0)
            if self._stopped:
                self._fail_all(BackendError("the local model engine is stopped"))
                return False
            self._apply_closes()
            opening = self._next_opening()
            batch = self._ready_batch()
        work = batch + ([opening] if opening is not None else [])
        try:
            if opening is not None:
                self._prefill_chunk(*opening)
            if batch:
                self._step(batch)
        except Exception as exc:  # noqa: BLE001 - every waiting caller must hear of it
            logger.exception("batch engine step failed")
            with self._cond:
                if opening is not None and self._opening and self._opening[0] is opening:
                    self._opening.popleft()
                for session, request in work:
                    if session.row is not None and not session.closed:
                        session.closed = True
                        self._closing.append((session, False))
                    request.finish(error=exc)
        return True

    def _has_work(self) -> bool:
        return self._stopped or bool(self._opening or self._pending or self._closing)

    def _apply_closes(self) -> None:
        for session, keep in self._closing:
            if session.row is None:
                continue
            kv = self.slots.remove_row(session.row, keep=keep)
            self._sessions.pop(session.row, None)
            self._pending.pop(session.row, None)
            if kv is not None:
                self.store.add(session.ids[: kv[0][0].shape[2]], kv)
            session.row = None
        self._closing.clear()

    def _next_opening(self) -> tuple[Session, _Request] | None:
        """The prompt to encode a chunk of now (only when a row slot is free)."""
        if not self._opening or self.slots.free_slot() is None:
            return None
        return self._opening[0]

    def _ready_batch(self) -> list[tuple[Session, _Request]]:
        """Pending feeds to run now: wait (briefly) until every open row has one."""
        if not self._pending:
            return []
        deadline = min(r.since for _, r in self._pending.values()) + self.gather
        while len(self._pending) < len(self._sessions) and not self._opening and not self._stopped:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            self._cond.wait(timeout=left)
        batch = list(self._pending.values())
        self._pending.clear()
        return batch

    def _fail_all(self, error: BaseException) -> None:
        for _, request in list(self._pending.values()) + list(self._opening):
            request.finish(error=error)
        self._pending.clear()
        self._opening.clear()

    # -- prompt encoding ---------------------------------------------------------------------
    def _prefill_chunk(self, session: Session, request: _Request) -> None:
        """Encode the next chunk of ``session``'s prompt; on the last, join the batch."""
        import torch
        from transformers import DynamicCache

        ids = request.tokens
        if session._prefill is None:
            reused, kv = self.store.lookup(ids)
            cache = DynamicCache()
            for layer, (k, v) in enumerate(kv or []):
                cache.update(k, v, layer)
            session._prefill, session._done, session.reused = cache, reused, reused
            self.stats["reused_tokens"] += reused
        cache = session._prefill
        end = min(len(ids), session._done + self.prefill_chunk)
        chunk = torch.tensor([ids[session._done : end]], device=self.slots.valid.device)
        positions = torch.arange(session._done, end, device=chunk.device).unsqueeze(0)
        started = time.perf_counter()
        out = self.decoder(input_ids=chunk, position_ids=positions, use_cache=True, **{self._cache_kw: cache})
        self.stats["forward_seconds"] += time.perf_counter() - started
        self.stats["prefill_tokens"] += end - session._done
        session._done = end
        if end < len(ids):
            return
        kv = [(layer.keys, layer.values) for layer in cache.layers]
        session.row = self.slots.add_row(kv)
        with self._cond:
            self._opening.popleft()
            self._sessions[session.row] = session
        session._prefill = None
        request.finish(self._outputs(out.last_hidden_state[:, -1], [request.want])[0])

    # -- batched steps ---------------------------------------------------------------------------
    def _step(self, batch: list[tuple[Session, _Request]]) -> None:
        """One forward pass: every row in ``batch`` appends up to ``step_tokens`` of its feed
        (shorter feeds and rows without one leave holes); finished feeds get their output."""
        import torch

        rows = self.slots.high
        parts = {s.row: r.tokens[r.offset : r.offset + self.step_tokens] for s, r in batch}
        width = max(len(p) for p in parts.values())
        self.slots.reserve(width)
        device = self.slots.valid.device
        ids = torch.zeros(rows, width, dtype=torch.long, device=device)
        new_valid = torch.zeros(rows, width, dtype=torch.bool, device=device)
        fed = [0] * rows
        for row, part in parts.items():
            ids[row, : len(part)] = torch.tensor(part, device=device)
            new_valid[row, : len(part)] = True
            fed[row] = len(part)
        counts = torch.tensor(self.slots.counts[:rows], device=device)
        positions = counts.unsqueeze(1) + torch.arange(width, device=device).unsqueeze(0)  # [rows, width]
        mask = self._mask(rows, width, new_valid)
        started = time.perf_counter()
        out = self.decoder(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True,
                           **{self._cache_kw: self.slots.view(rows)})
        self.stats["forward_seconds"] += time.perf_counter() - started
        self.slots.commit(rows, new_valid, fed)
        self.stats["steps"] += 1
        self.stats["rows_per_step"] += len(batch)
        self.stats["fed_tokens"] += sum(fed)
        finished = []
        for session, request in batch:
            request.offset += fed[session.row]
            if request.offset < len(request.tokens):
                with self._cond:
                    self._pending[session.row] = (session, request)
            else:
                finished.append((session, request))
        if finished:
            last = torch.stack([out.last_hidden_state[s.row, fed[s.row] - 1] for s, _ in finished])  # [n, hidden]
            for (_, request), result in zip(finished, self._outputs(last, [r.want for _, r in finished]),
                                            strict=True):
                request.finish(result)

    def _mask(self, rows: int, width: int, new_valid: Any) -> Any:
        """Boolean attention mask ``[rows, 1, width, columns + width]`` (True = attend).

        A row attends to its own valid columns and, causally, to its new tokens. Every
        new position also sees itself, so padding rows (free slots, rows without a feed)
        never have an all-masked query: that would write NaN keys into the buffer.
        """
        import torch

        old = self.slots.valid[:rows, : self.slots.width]  # [rows, columns]
        device = old.device
        causal = torch.ones(width, width, dtype=torch.bool, device=device).tril()
        own = torch.eye(width, dtype=torch.bool, device=device)
        new = (new_valid[:, None, :] & causal) | own  # [rows, width, width]
        mask = torch.cat([old[:, None, :].expand(rows, width, old.shape[1]), new], dim=2)
        return mask.unsqueeze(1)

    def _outputs(self, hidden: Any, wants: list[str | None]) -> list[Any]:
        """Per row: full logits (one batched head matmul), the hidden state, or ``None``."""
        out: list[Any] = [None] * len(wants)
        full = [i for i, w in enumerate(wants) if w == ALL]
        if full:
            logits = self.head(hidden[full]).float()  # [n, vocab]
            if self.softcap:
                logits = (logits / self.softcap).tanh() * self.softcap
            for j, i in enumerate(full):
                out[i] = logits[j]
        for i, want in enumerate(wants):
            if want == HIDDEN:
                out[i] = hidden[i]
        return out

    def scores(self, hidden: Any, token_ids: list[int]) -> Any:
        """Logits of ``token_ids`` only, from a hidden state (``want="hidden"``)."""
        import torch

        with torch.no_grad():
            logits = (self.head.weight[token_ids] @ hidden).float()  # [n]
            if getattr(self.head, "bias", None) is not None:
                logits = logits + self.head.bias[token_ids].float()
        if self.softcap:
            logits = (logits / self.softcap).tanh() * self.softcap
        return logits


def _serve(ref: weakref.ref[BatchEngine]) -> None:
    """The scheduler thread: runs rounds while the engine exists and is not stopped.

    It holds the engine only during a round, so an engine nobody uses any more is
    collected (and the thread ends) without an explicit :meth:`BatchEngine.shutdown`.
    """
    import torch

    with torch.inference_mode():
        while True:
            engine = ref()
            if engine is None or not engine._iterate():
                return
            del engine


@atexit.register
def _shutdown_all() -> None:
    for engine in list(_ENGINES):
        engine.shutdown()
