"""The auto executor (real built-in tools + virtual for the rest) and secret redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from toolbench.builtin_world import builtin_catalog
from toolbench.executors import build_executor
from toolbench.executors.secrets import RedactingFilter, redact, redact_text, secret_values
from toolbench.types import ApiSpec, Provenance, ToolCall


def test_auto_routes_builtin_to_real_and_others_to_virtual(tmp_path: Path) -> None:
    catalog = builtin_catalog()
    catalog.add(ApiSpec("Data", "Weather", "Forecast", description="A forecast.",
                        template_response={"temperature": "float"}))
    executor = build_executor("auto", catalog, virtual={"cache": str(tmp_path / "c.sqlite"), "seed": 1})
    real = executor.call(ToolCall("c1", "calculator", {"expression": "6 * 7"}))
    assert real.provenance == Provenance.REAL and real.response["result"] == 42
    fake = executor.call(ToolCall("c2", "forecast_for_weather", {}))
    assert fake.provenance == Provenance.SIMULATED and isinstance(fake.response["temperature"], float)
    assert not executor.call(ToolCall("c3", "nope", {})).ok
    stats = executor.stats()
    assert (stats["calls"], stats["real"], stats["simulated"], stats["errors"]) == (3, 1, 1, 1)
    executor.close()


def test_secret_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_API_KEY", "very-secret-value")
    monkeypatch.setenv("SOME_PATH", "not-a-secret-value")
    assert "very-secret-value" in secret_values()
    assert "not-a-secret-value" not in secret_values()
    record = {"url": "https://x.test/?key=very-secret-value", "note": "fine"}
    assert redact(record) == {"url": "https://x.test/?key=***", "note": "fine"}
    assert redact_text("Authorization: Bearer sk-0123456789abcdefghij") == "Authorization: Bearer ***"


def test_redacting_log_filter(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("DEMO_TOKEN", "tok-9876543210")
    logger = logging.getLogger("toolbench.test_redaction")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("calling with %s", "tok-9876543210")
    assert "tok-9876543210" not in caplog.text and "calling with ***" in caplog.text
