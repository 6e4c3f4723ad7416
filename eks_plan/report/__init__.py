"""Reports: Rich renderings for people and plain dicts for JSON/YAML, one module per command.

Rich is imported here only inside rendering functions; the ``*_data`` functions return plain dicts.
"""
