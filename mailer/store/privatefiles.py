"""Files that hold personal data: folders 0700, files 0600, replaced atomically and durably.

Every state file goes through here (the store, campaign journals, captured mail): a crash at any
instant leaves the old or the new file, never a truncated one, and nobody else on the machine
reads them. A writer killed mid-write leaves its temp file behind: the next write in that folder
removes it (`remove_stale_temps`).
"""

from __future__ import annotations

import functools
import os
import stat
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

TEMP_SUFFIX = ".tmp"
CLOCK_SLACK_SECONDS = 1.0      # /proc/stat's boot time is in whole seconds


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700; tighten `path` if it already exists."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def make_private_dirs(path: Path) -> Path:
    """Create `path` and missing parents as 0700, leaving a folder that exists as it is: for
    outputs a coordinator places (`--out`, `--csv`), where tightening `.` or `/tmp` would be wrong."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)           # mkdir's mode goes through the umask
    return path


def write_private_output(path: Path, data: bytes) -> None:
    """A file for a person to open (a preview, an export), 0600 from its first byte, in a folder
    made 0700 if missing. Written in place, not replaced: `path` may be a device (/dev/stdout)."""
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)          # a file left by an older version: made private too
        handle.write(data)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`, mode 0600, durable once this returns."""
    write_private_lines(path, [data])


def write_private_lines(path: Path, chunks: Iterable[bytes | str]) -> None:
    """Replace `path` atomically with the chunks (str as UTF-8), streamed; mode 0600, fsynced."""
    os.replace(_stage(path, chunks), path)
    fsync_dir(path.parent)


def write_private_files(files: Sequence[tuple[Path, bytes]]) -> None:
    """Replace several files, all written in full before any is replaced: a full disk while
    writing the second leaves the first as it was too (renames need no free space)."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            staged.append((_stage(path, [data]), path))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    for folder in dict.fromkeys(path.parent for _, path in staged):
        fsync_dir(folder)


def _stage(path: Path, chunks: Iterable[bytes | str]) -> Path:
    """The new content in a 0600 temp file beside `path`, fsynced: `.NAME.PID.TID.tmp`."""
    ensure_private_dir(path.parent)
    remove_stale_temps(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}{TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 16) as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:     # ENOSPC names no file: say which
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    return tmp


def remove_stale_temps(folder: Path) -> list[str]:
    """Remove the temp files killed writers left in `folder` (a kill -9 during a write leaves one,
    as big as the file): `.NAME.PID.TID.tmp` whose PID is gone, or now names a process started
    after the file was last written (the PID was reused: a container's PID 1 after a restart).
    A live writer's temp file is never touched. Returns the names removed."""
    removed = []
    for name in os.listdir(folder):
        pid = _temp_pid(name)
        if pid is None:
            continue
        try:
            written = os.lstat(folder / name).st_mtime
        except FileNotFoundError:
            continue                      # its writer just renamed it into place
        started = _process_start(pid)
        if started is None or started > written + CLOCK_SLACK_SECONDS:
            try:
                (folder / name).unlink(missing_ok=True)
                removed.append(name)
            except OSError:
                pass                      # not ours to remove after all: the write goes on
    return removed


def _temp_pid(name: str) -> int | None:
    """The writer's PID if `name` is one of our temp files (`.NAME.PID.TID.tmp`)."""
    if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
        return None
    parts = name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
    if len(parts) != 3 or not parts[0] or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return int(parts[1])


def _process_start(pid: int) -> float | None:
    """When process `pid` started (epoch seconds): None if there is none; -inf if it is alive but
    its start cannot be read (not Linux), so its files are kept."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass                              # alive, another user's
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        ticks = int(stat.rsplit(")", 1)[1].split()[19])      # field 22, starttime (proc(5))
        return _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    except FileNotFoundError:
        return None                       # it exited in between
    except (OSError, ValueError, IndexError):
        return float("-inf")


@functools.cache
def _boot_time() -> float:
    with open("/proc/stat", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("btime "):
                return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")
