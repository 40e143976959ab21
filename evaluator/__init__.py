"""evaluator package of toolbench-kit (see DESIGN.md §1)."""
