"""The application layer: the ``toolbench`` CLI, its commands, the run config and the pipeline.

- :mod:`toolbench.app.cli` — the entry point (``toolbench`` script, ``python -m toolbench``)
- :mod:`toolbench.app.commands` — one module per command group, each with ``register(app)``
- :mod:`toolbench.app.common` — what the commands share (options, catalogs, progress, interrupts)
- :mod:`toolbench.app.run_config` — the TOML file of ``toolbench run``
- :mod:`toolbench.app.pipeline` — ``toolbench run``: catalog → index → plan → judge → report

Nothing in the core packages imports this package.
"""
