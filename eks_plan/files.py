"""Writing output files: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from eks_plan.errors import InputError, SourceLocation


def write_atomically(path: Path | str, text: str, *, hint: str | None = None) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one, never a part:
    write a temporary file beside it, then rename it into place. The file gets the permissions a new
    file would (0666 less the umask); a path that cannot be written is an input error (``hint`` is
    given with it when the temporary file cannot even be made)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise InputError(
            f"cannot write the file: {error.strerror}", SourceLocation(str(path)), hint=hint
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write the file: {error.strerror}", SourceLocation(str(path))) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
