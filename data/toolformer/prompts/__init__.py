"""Few-shot prompts P(x) of the Toolformer paper (Appendix A.2), one Jinja2 template per tool."""
