"""data package of toolbench-kit (see docs/architecture.md)."""
