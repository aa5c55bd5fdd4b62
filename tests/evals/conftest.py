"""Eval fixtures: one NLU cache and one set of fixture templates for the whole test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.fixtures.template import TemplateCache


@pytest.fixture(scope="session")
def eval_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval-cache")


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> TemplateCache:
    return TemplateCache(tmp_path_factory.mktemp("eval-templates"))
