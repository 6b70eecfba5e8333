"""Test doubles shared by the export tests."""
import errno
import io
import os


class FillingFile(io.BytesIO):
    """Takes `room` bytes, then fails the way a full disk does."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, data) -> int:
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)
