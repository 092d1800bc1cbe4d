"""The declarative REST binding (``CABINET_BINDING=rest``, ``CABINET_BINDING_OPTIONS={"spec": "file.yaml"}``)."""
from .binding import RestBinding
from .spec import SpecError, load_spec

__all__ = ["RestBinding", "SpecError", "load_spec"]
