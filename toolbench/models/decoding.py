"""Token picking and free-text decoding over a :class:`~toolbench.models.batching.Session`.

:func:`pick_token` is greedy at temperature 0, else nucleus sampling with the caller's
seeded ``torch.Generator`` (so each request's sampling is reproducible whatever else is
in the batch). :func:`decode_text` writes free text until an end-of-turn token, a stop
string or ``max_new_tokens``.
"""

from __future__ import annotations

from typing import Any

STOP_TAIL_TOKENS = 12  # tokens decoded to look for a stop string after each new token


def pick_token(logits: Any, temperature: float = 0.0, top_p: float = 1.0, generator: Any = None,
               allowed: list[int] | None = None) -> int:
    """The next token from ``logits`` (``[vocab]``), optionally only among ``allowed`` ids.

    >>> import torch
    >>> pick_token(torch.tensor([0.1, 2.0, 0.5])), pick_token(torch.tensor([0.1, 2.0, 0.5]), allowed=[0, 2])
    (1, 2)
    """
    import torch

    if allowed is not None:
        mask = torch.full_like(logits, float("-inf"))
        mask[allowed] = 0.0
        logits = logits + mask
    if temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs / probs.sum(), 1, generator=generator))


def seeded_generator(seed: int) -> Any:
    """A CPU ``torch.Generator`` seeded with ``seed``."""
    import torch

    return torch.Generator(device="cpu").manual_seed(int(seed))


def end_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """Token ids that end a reply: the generation config's EOS id(s) and the tokenizer's."""
    ids: set[int] = set()
    for value in (getattr(getattr(model, "generation_config", None), "eos_token_id", None), tokenizer.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    return ids


def decode_text(session: Any, tokenizer: Any, *, max_new_tokens: int, temperature: float = 0.0,
                top_p: float = 1.0, seed: int = 0, stops: list[str] | None = None,
                end_ids: set[int] | None = None) -> list[int]:
    """New token ids written after ``session``'s prompt (the end token is not included)."""
    generator = seeded_generator(seed) if temperature > 0 else None
    logits, new = session.logits, []
    for step in range(max_new_tokens):
        token = pick_token(logits, temperature, top_p, generator)
        if end_ids and token in end_ids:
            break
        new.append(token)
        if stops and _hit_stop(tokenizer, new, stops):
            break
        if step + 1 < max_new_tokens:
            logits = session.feed([token])
    return new


def _hit_stop(tokenizer: Any, new: list[int], stops: list[str]) -> bool:
    tail = tokenizer.decode(new[-STOP_TAIL_TOKENS:], skip_special_tokens=True)
    return any(stop in tail for stop in stops)
