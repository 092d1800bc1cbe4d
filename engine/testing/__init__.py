"""What implementers import into their own tests (the binding conformance kit)."""
import pytest

# plain asserts in the kit report their values when they fail, as in the implementer's own tests
pytest.register_assert_rewrite("engine.testing.binding_suite")
