"""The command-line layer: Typer commands that parse flags, call the library, and print a report.

Nothing below :mod:`eks_plan.cli` imports it; the library never imports Typer or Rich.
"""
