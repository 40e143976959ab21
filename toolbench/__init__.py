"""toolbench-kit: teach language models to use tools and measure how well they do it."""

from toolbench.catalog import Catalog
from toolbench.types import (
    SCHEMA_VERSION,
    ApiSpec,
    AssistantMessage,
    FinishReason,
    Message,
    Observation,
    ObservationStatus,
    Provenance,
    Query,
    Report,
    SearchTree,
    Step,
    ToolCall,
    Trajectory,
    TreeNode,
    Usage,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION", "ApiSpec", "AssistantMessage", "Catalog", "FinishReason", "Message",
    "Observation", "ObservationStatus", "Provenance", "Query", "Report", "SearchTree", "Step",
    "ToolCall", "Trajectory", "TreeNode", "Usage", "Verdict", "__version__",
]
