"""The only torch module of Toolformer: a causal LM wrapper for sampling, scoring, decoding.

- :meth:`CausalLM.opener_probs` — one forward pass over ``P(x) + x`` gives
  ``p([ | P(x), x_<i)`` at every position and a key/value cache of the whole prefix.
- :meth:`CausalLM.sample` — m calls at one position, reusing that cache (cropped and
  repeated, never re-encoded); :meth:`CausalLM.sample_uncached` is the slow baseline.
- :meth:`CausalLM.weighted_losses` — the batched filter scorer: one row per distinct
  prefix (the no-call row is the empty prefix and serves every position), each row cut
  after the last token a weight reaches, right padding with an attention mask and
  explicit position ids, and the vocabulary projection applied only at the scored
  positions. :meth:`CausalLM.oracle_losses` is one full forward pass per request.
- :meth:`CausalLM.start` / :meth:`CausalLM.feed` / :meth:`CausalLM.rewind` — greedy
  decoding with a cache.

torch and transformers are imported inside the methods.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

Request = tuple[tuple[int, ...], int]  # (prefix token ids, position i in the text)


def window_targets(position: int, n_tokens: int, window: int) -> range:
    """Text indices whose tokens the weights reach for a call before token ``position``.

    >>> list(window_targets(3, 6, 5)), list(window_targets(1, 10, 2))
    ([3, 4, 5], [1, 2])
    """
    return range(position, min(position + window, n_tokens))


def plan_rows(requests: Sequence[Request], n_tokens: int, window: int) -> dict[tuple[int, ...], int]:
    """One row per distinct prefix; the value is how many text tokens the row must hold.

    >>> plan_rows([((), 2), ((), 5), ((7,), 1)], n_tokens=8, window=2)
    {(): 6, (7,): 2}
    """
    rows: dict[tuple[int, ...], int] = {}
    for prefix, position in requests:
        if not prefix and position < 1:
            raise ValueError("the no-call loss needs position >= 1 (nothing precedes token 0)")
        end = window_targets(position, n_tokens, window).stop
        rows[prefix] = max(rows.get(prefix, 0), end - 1)
    return rows


def batches_by_tokens(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Group row indices, shortest first, so ``rows x longest <= budget`` (at least one row).

    >>> batches_by_tokens([5, 1, 3, 4], budget=8)
    [[1, 2], [3], [0]]
    """
    order = sorted(range(len(lengths)), key=lambda r: lengths[r])
    groups: list[list[int]] = []
    for row in order:
        if groups and lengths[row] * (len(groups[-1]) + 1) <= budget:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


@dataclass
class DecodeState:
    """Token ids so far and the model's cache of them."""

    ids: list[int]
    cache: Any = None
    extra: dict = field(default_factory=dict)


class CausalLM:
    """A transformers causal LM and its tokenizer, with the operations Toolformer needs."""

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model, self.tokenizer = model, tokenizer
        self._texts: list[str] | None = None

    @classmethod
    def load(cls, spec: str = "smollm2", *, device: str | None = None, dtype: str | None = None,
             adapter: str | None = None, threads: int | None = None) -> CausalLM:
        """Load ``spec`` (``smollm2``, a model dir, a .gguf) via :func:`toolbench.models.hf_models.load_causal_lm`.

        ``threads`` sets torch's CPU threads for the process (1 is much faster than 2 on a
        CPU shared by several busy processes).
        """
        from toolbench.models.hf_models import load_causal_lm

        if threads:
            import torch

            torch.set_num_threads(threads)

        return cls(*load_causal_lm(spec, device=device, dtype=dtype, adapter=adapter))

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    # -- tokens -------------------------------------------------------------------
    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids of ``text`` (no special tokens) and each token's character span."""
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]

    def ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: Iterable[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def token_texts(self) -> list[str]:
        """The text of every token id (cached; used to find opener and stop tokens)."""
        if self._texts is None:
            size = len(self.tokenizer)
            self._texts = [self.decode([i]) for i in range(size)]
        return self._texts

    def tokens_containing(self, *needles: str) -> set[int]:
        return {i for i, t in enumerate(self.token_texts()) if any(n in t for n in needles)}

    @property
    def eos_ids(self) -> set[int]:
        eos = self.tokenizer.eos_token_id
        return set(eos if isinstance(eos, list) else [eos]) if eos is not None else set()

    # -- sampling -----------------------------------------------------------------
    def opener_probs(self, ids: Sequence[int], opener_ids: Sequence[int], n_last: int) -> tuple[list[float], Any]:
        """``Σ_o p(o | ids[:t+1])`` for the last ``n_last`` prefixes, and the cache of ``ids``."""
        import torch

        with torch.inference_mode():
            inp = torch.tensor([list(ids)], device=self.device)
            out = self.model(input_ids=inp, use_cache=True, logits_to_keep=n_last)
            probs = out.logits[0].float().softmax(-1)[:, list(opener_ids)].sum(-1)  # (n_last,)
        return probs.tolist(), out.past_key_values

    def sample(self, cache: Any, prefix_len: int, first: Sequence[int], m: int, stop_ids: set[int],
               max_new: int, temperature: float, seed: int) -> list[list[int]]:
        """``m`` continuations of ``cache[:prefix_len] + first`` until a stop token (kept)."""
        from transformers import DynamicCache

        layers = [(layer.keys[:, :, :prefix_len], layer.values[:, :, :prefix_len]) for layer in cache.layers]
        rows = DynamicCache([(k.expand(m, -1, -1, -1).contiguous(), v.expand(m, -1, -1, -1).contiguous())
                             for k, v in layers])
        return self._sample_loop(rows, prefix_len, first, m, stop_ids, max_new, temperature, seed)

    def sample_uncached(self, prefix: Sequence[int], first: Sequence[int], m: int, stop_ids: set[int],
                        max_new: int, temperature: float, seed: int) -> list[list[int]]:
        """Like :meth:`sample` but re-encodes ``prefix`` (the naive baseline)."""
        import torch

        with torch.inference_mode():
            out = self.model(input_ids=torch.tensor([list(prefix)], device=self.device), use_cache=True,
                             logits_to_keep=1)
        return self.sample(out.past_key_values, len(prefix), first, m, stop_ids, max_new, temperature, seed)

    def _sample_loop(self, cache: Any, prefix_len: int, first: Sequence[int], m: int, stop_ids: set[int],
                     max_new: int, temperature: float, seed: int) -> list[list[int]]:
        import torch

        gen = torch.Generator(device="cpu").manual_seed(seed)
        step = torch.tensor([list(first)] * m, device=self.device)  # (m, len(first))
        outputs: list[list[int]] = [[] for _ in range(m)]
        done = [False] * m
        pos = prefix_len
        with torch.inference_mode():
            for _ in range(max_new):
                positions = torch.arange(pos, pos + step.shape[1], device=self.device).expand(m, -1)
                out = self.model(input_ids=step, past_key_values=cache, position_ids=positions, use_cache=True,
                                 logits_to_keep=1)
                pos += step.shape[1]
                probs = (out.logits[:, -1].float() / temperature).softmax(-1).cpu()  # (m, vocab)
                nxt = torch.multinomial(probs, 1, generator=gen)[:, 0].tolist()
                for r, tok in enumerate(nxt):
                    if not done[r]:
                        outputs[r].append(tok)
                        done[r] = tok in stop_ids or tok in self.eos_ids
                if all(done):
                    break
                step = torch.tensor([[t] for t in nxt], device=self.device)
        return outputs

    # -- scoring ------------------------------------------------------------------
    def weighted_losses(self, text: Sequence[int], requests: Sequence[Request], weights: Sequence[float],
                        batch_tokens: int = 8192) -> list[float]:
        """Weighted loss ``-Σ_t w_t log p(x_{i+t} | prefix, x_<i+t)`` for every ``(prefix, i)``."""
        logprobs = self._row_logprobs(text, requests, len(weights), batch_tokens)
        losses = []
        for prefix, position in requests:
            span = window_targets(position, len(text), len(weights))
            losses.append(-math.fsum(w * logprobs[prefix][j] for w, j in zip(weights, span, strict=False)))
        return losses

    def _row_logprobs(self, text: Sequence[int], requests: Sequence[Request], window: int,
                      batch_tokens: int) -> dict[tuple[int, ...], dict[int, float]]:
        """For each prefix row: ``{text index j: log p(x_j | prefix, x_<j)}`` at the needed j."""
        import torch

        need: dict[tuple[int, ...], set[int]] = defaultdict(set)
        for prefix, position in requests:
            need[prefix].update(window_targets(position, len(text), window))
        keep = plan_rows(requests, len(text), window)
        prefixes = list(keep)
        rows = [list(p) + list(text[: keep[p]]) for p in prefixes]
        result: dict[tuple[int, ...], dict[int, float]] = {}
        for batch in batches_by_tokens([len(r) for r in rows], batch_tokens):
            hidden = self._hidden([rows[b] for b in batch])  # (B, T, H)
            picks = [(bi, len(prefixes[b]) + j - 1, text[j], prefixes[b], j)
                     for bi, b in enumerate(batch) for j in sorted(need[prefixes[b]])]
            index_b = torch.tensor([p[0] for p in picks], device=hidden.device)
            index_t = torch.tensor([p[1] for p in picks], device=hidden.device)
            with torch.inference_mode():
                logits = self.model.get_output_embeddings()(hidden[index_b, index_t]).float()  # (N, vocab)
                targets = torch.tensor([p[2] for p in picks], device=hidden.device)
                lp = logits.log_softmax(-1).gather(1, targets[:, None])[:, 0].tolist()
            for (_, _, _, prefix, j), value in zip(picks, lp, strict=True):
                result.setdefault(prefix, {})[j] = value
        return result

    def _hidden(self, rows: list[list[int]]) -> Any:
        """Final hidden states of right-padded rows (B, T, H)."""
        import torch

        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=self.device)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=self.device)
        positions = torch.arange(width, device=self.device).expand(len(rows), -1)
        with torch.inference_mode():
            out = self.model.get_decoder()(input_ids=ids, attention_mask=mask, position_ids=positions,
                                           use_cache=False)
        return out.last_hidden_state

    def oracle_losses(self, text: Sequence[int], requests: Sequence[Request], weights: Sequence[float]) -> list[float]:
        """Reference scorer: one full forward pass (all logits) per request."""
        import torch

        losses = []
        for prefix, position in requests:
            ids = torch.tensor([list(prefix) + list(text)], device=self.device)
            with torch.inference_mode():
                lp = self.model(input_ids=ids).logits[0].float().log_softmax(-1)  # (T, vocab)
            span = window_targets(position, len(text), len(weights))
            terms = [w * lp[len(prefix) + j - 1, text[j]].item() for w, j in zip(weights, span, strict=False)]
            losses.append(-math.fsum(terms))
        return losses

    # -- decoding -----------------------------------------------------------------
    def start(self) -> DecodeState:
        from transformers import DynamicCache

        return DecodeState(ids=[], cache=DynamicCache())

    def feed(self, state: DecodeState, new_ids: Sequence[int], k: int) -> list[int]:
        """Append ``new_ids``; return the ``k`` most likely next token ids, best first."""
        import torch

        start = len(state.ids)
        state.ids.extend(new_ids)
        positions = torch.arange(start, len(state.ids), device=self.device)[None]
        with torch.inference_mode():
            out = self.model(input_ids=torch.tensor([list(new_ids)], device=self.device), position_ids=positions,
                             past_key_values=state.cache, use_cache=True, logits_to_keep=1)
        return out.logits[0, -1].float().topk(k).indices.tolist()

    def rewind(self, state: DecodeState, length: int) -> None:
        """Forget everything after the first ``length`` tokens."""
        remove = len(state.ids) - length
        if remove > 0:
            state.cache.crop(-remove)  # transformers 5: a negative count of tokens to drop
        del state.ids[length:]
