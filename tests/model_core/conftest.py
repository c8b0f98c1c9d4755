"""Shared fixtures: one default training on the example set, reused by the quality tests,
and the petal sets the repository has never seen (model_core.petal_sets)."""
from __future__ import annotations

import pytest

from model_core import example_templates, train, train_config
from model_core.petal_sets import acceptance_sets, petal_set


@pytest.fixture(scope="session")
def example_set():
    return example_templates()


@pytest.fixture(scope="session")
def trained(example_set):
    """The default trainer on the bundled example (the model an artist gets)."""
    return train(example_set, seed=0)


@pytest.fixture(scope="session")
def quick_model(example_set):
    """A short training: enough for shape, storage and determinism tests."""
    return train(example_set, train_config(template_steps=60, steps=60, check_every=0), seed=3)


@pytest.fixture(scope="session")
def petal_sets():
    """Sets the repository has never seen (model_core/petal_sets.py), by name."""
    sets = dict(acceptance_sets())
    sets["crossing 2x7 9x7"] = petal_set(2, 7, 9, 7, seed=21, crossing=True)
    return sets
