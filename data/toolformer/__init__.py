"""Toolformer (Schick et al., 2023): sample API calls in plain text, execute them, keep
the calls whose results lower the LM loss on the following tokens, fine-tune on them,
and decode with tools. See docs/toolformer.md.

Modules: :mod:`.linearise` (call syntax), :mod:`.templates` (few-shot prompts),
:mod:`.sampling`, :mod:`.tools` (execution through project executors),
:mod:`.scoring` (the only torch module), :mod:`.filtering` (pure criterion),
:mod:`.annotate` (one document end to end), :mod:`.corpus` (C* I/O), :mod:`.finetune`,
:mod:`.decoding`, :mod:`.gsm8k`, :mod:`.config`.
"""
