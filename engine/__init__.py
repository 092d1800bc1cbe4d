"""Cabinet Engine: subscriber self-service cabinets generated from declarative schemas."""

__version__ = "0.1.0"
