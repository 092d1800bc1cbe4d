"""The conformance kit as ``cabinet bindings check`` runs it: the binding and the scenario come
from the command (a pytest plugin gives them as fixtures)."""
from __future__ import annotations

from engine.testing.binding_suite import BindingSuite


class TestBinding(BindingSuite):
    pass
