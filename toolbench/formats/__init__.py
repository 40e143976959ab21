"""Readers and writers for other projects' result files.

- :mod:`toolbench.formats.toolbench_answer`: ToolBench answer trees ``{qid}_{method}.json``
  (``tree``, ``answer_generation`` with ``train_messages``, ``forward_args``).
- :mod:`toolbench.formats.stabletooleval`: StableToolEval "converted" answers, one JSON
  file per query group (``{qid: {query, available_tools, answer}}``), and the converter
  from answer trees to that format.
- :mod:`toolbench.formats.common`: message shapes both share.

Every reader returns :class:`toolbench.types.Trajectory` objects. To read a run in any
format (ours included) use :func:`toolbench.store.run_io.read_run`, which detects it.
"""
