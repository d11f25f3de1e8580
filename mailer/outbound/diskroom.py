"""Room reserved beyond the end of an append-only journal, so what must be written after a message
has left (its outcome) still fits when the disk fills meanwhile.

`fallocate(KEEP_SIZE)` takes the blocks without changing the file's size; appends then land in
them. `give_back` punches what is left unused when the journal closes. On a file system without
fallocate, `reserve` answers `UNLIMITED` and the journal writes as it would without a reservation.
Both raise OSError; the journal names it (its own error type).
"""

from __future__ import annotations

import ctypes
import errno
import os
from typing import Any

UNLIMITED = 1 << 62
_KEEP_SIZE, _PUNCH_HOLE = 1, 2


def _fallocate() -> Any:
    """libc's fallocate(fd, mode, offset, length), or None where there is none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    return function


_FALLOCATE = _fallocate()


def reserve(fd: int, reserved: int, amount: int) -> int:
    """Room for `amount` more bytes past the end unless half of it is still there; returns the
    offset up to which room is now reserved (`reserved`: what the last call returned, 0 at first)."""
    if _FALLOCATE is None or reserved >= UNLIMITED:
        return UNLIMITED
    size = os.fstat(fd).st_size
    if reserved - size >= amount // 2:
        return reserved
    if _FALLOCATE(fd, _KEEP_SIZE, size, amount) != 0:
        code = ctypes.get_errno()
        if code in (errno.EOPNOTSUPP, errno.ENOSYS):    # a file system without it: write as before
            return UNLIMITED
        raise OSError(code, os.strerror(code))
    return size + amount


def give_back(fd: int, reserved: int) -> None:
    """Free the room reserved and left unused beyond the end."""
    size = os.fstat(fd).st_size
    if _FALLOCATE is not None and size < reserved < UNLIMITED:
        _FALLOCATE(fd, _KEEP_SIZE | _PUNCH_HOLE, size, reserved - size)
