"""Package data: prompts, built-in tool docs, example catalog, instructions."""
