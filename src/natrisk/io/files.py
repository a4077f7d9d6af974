"""Safe reading of user files: size limit, binary detection, atomic writing of outputs."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from natrisk.errors import OutputError, Problem, WorkbookError

MAX_BYTES = int(float(os.environ.get("NATRISK_MAX_FILE_MB", "20")) * 1024 * 1024)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing what is missing, a folder, or larger than the limit."""
    name = str(path)
    if not path.exists():
        raise WorkbookError(f"{name}: no such file", [Problem(name, "", "", "no such file")])
    if not path.is_file():
        raise WorkbookError(f"{name}: not a file", [Problem(name, "", "", "not a regular file")])
    size = path.stat().st_size
    if size > MAX_BYTES:
        msg = (
            f"file is {size / 1048576:.1f} MB, over the limit of {MAX_BYTES / 1048576:.0f} MB; "
            "split the edition or raise NATRISK_MAX_FILE_MB"
        )
        raise WorkbookError(f"{name}: too large", [Problem(name, "", "", msg)])
    if size == 0:
        raise WorkbookError(f"{name}: empty", [Problem(name, "", "", "the file is empty")])
    return path.read_bytes()


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text of a file that should be text; a binary file gets a clear refusal."""
    if b"\x00" in data[:8192]:
        raise WorkbookError(
            f"{name}: binary file",
            [Problem(name, "", "", "this is a binary file, not YAML or JSON text")],
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        raise WorkbookError(f"{name}: not text", [Problem(name, "", "", msg)]) from exc


def read_text(path: Path) -> str:
    """A small user text file, read with the same guards as a workbook."""
    return decode_text(read_bytes(path), str(path))


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file whole or not at all (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """A scratch folder whose files move into ``out_dir`` only if the block succeeds."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".natrisk-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write next to {out_dir}: {exc.strerror}") from exc
    try:
        yield stage
        out_dir.mkdir(parents=True, exist_ok=True)
        for item in stage.iterdir():
            target = out_dir / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    except OSError as exc:
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror}") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
