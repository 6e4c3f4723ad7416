"""Print a Rich table at any width without losing a value: wrap the cells, or stack the rows.

Rich fits a table to the console by cutting cells to "…" or cropping whole columns at the right
edge, so a report piped to a file or read in an 80-column CI log used to lose data. Every report
table goes through :func:`print_table` instead:

- every column wraps at word boundaries (``no_wrap`` off) and never ends in "…" (``overflow`` is
  ``fold``: a value longer than its column continues on the next line);
- when the table cannot fit even so (its columns' narrowest widths add up to more than the
  console, counting a column that may break words, such as a file path, at :data:`FOLD_WIDTH`),
  each row is printed as a block instead: the first cell, then one ``header: value`` line per
  other non-empty cell.

Rich is imported only when a table is printed (the library itself never needs it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: The narrowest a column that may break words inside (``overflow="fold"``) is counted at.
FOLD_WIDTH = 12


def print_table(console: Console, table: Table) -> None:
    """Print ``table`` whole at the console's width: wrapped, or stacked when too narrow."""
    folding = {index for index, column in enumerate(table.columns) if column.overflow == "fold"}
    for column in table.columns:
        column.no_wrap = False
        column.overflow = "fold"
    if _narrowest_width(console, table, folding) <= console.width:
        console.print(table)
    else:
        print_stacked(console, table)


def _narrowest_width(console: Console, table: Table, folding: set[int]) -> int:
    """The fewest columns ``table`` needs with every word whole, except in ``folding`` columns."""
    options = console.options
    total = table._extra_width  # borders and column separators
    for index, column in enumerate(table.columns):
        measured = table._measure_column(console, options, column).minimum  # padding included
        if index in folding:
            content = max(FOLD_WIDTH, column.min_width or 0)
            padding = measured - _content_minimum(console, column)
            measured = min(measured, content + padding)
        total += measured
    return total


def _content_minimum(console: Console, column: Any) -> int:
    from rich.measure import Measurement

    cells = [column.header, *column.cells]
    return max((Measurement.get(console, console.options, cell).minimum for cell in cells), default=0)


def print_stacked(console: Console, table: Table) -> None:
    """Each row of ``table`` as a block: the first cell in bold, then ``header: value`` lines for
    the other cells that hold something; the title first, a blank line between blocks."""
    from rich.table import Table
    from rich.text import Text

    def text(cell: Any) -> Text:
        if isinstance(cell, Text):
            return cell.copy()
        return console.render_str(str(cell), highlight=False)

    if table.title:
        console.print(text(table.title), style=table.title_style or "bold")
    columns = [list(column.cells) for column in table.columns]
    headers = [text(column.header) for column in table.columns]
    rows = max((len(cells) for cells in columns), default=0)
    for row in range(rows):
        first = text(columns[0][row]) if row < len(columns[0]) else Text()
        first.stylize("bold")
        console.print(first)
        # A grid keeps wrapped values indented under their label: "  label: value ...".
        block = Table.grid(padding=(0, 1), pad_edge=False)
        block.add_column(no_wrap=True)
        block.add_column(overflow="fold")
        for header, cells in zip(headers[1:], columns[1:], strict=True):
            value = text(cells[row]) if row < len(cells) else Text()
            if value.plain.strip():
                label = header.plain.strip()
                block.add_row(Text(f"  {label}:" if label else "  ", style="dim"), value)
        if block.row_count:
            console.print(block)
        if row < rows - 1:
            console.print()
