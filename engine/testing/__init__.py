"""What implementers import into their own tests (the binding conformance kit)."""
try:
    import pytest
except ImportError:          # a plain install: `cabinet bindings check` runs the kit without pytest
    pass
else:
    # plain asserts in the kit report their values when they fail, as in the implementer's own tests
    pytest.register_assert_rewrite("engine.testing.binding_suite")
