"""The schema pipeline: load -> resolve -> migrate -> validate -> compile.

Never imports Flask: the same pipeline serves YAML files, Directus and the live preview.
"""
from .errors import SchemaInvalid, SchemaIssue
from .pipeline import compile_cabinet, load_cabinet
from .sources import CabinetSource, YamlSource

__all__ = ["SchemaInvalid", "SchemaIssue", "compile_cabinet", "load_cabinet", "CabinetSource", "YamlSource"]
