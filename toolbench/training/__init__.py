"""Training causal LMs: LoRA supervised fine-tuning (:mod:`toolbench.training.lora`).

Models and tokenizers are loaded by :mod:`toolbench.models.hf_models`; torch, transformers
and peft are imported inside the functions that need them.
"""
