"""A problem found in a file a person edits (FAQ files, the shops file), located by line.

One type so every `check` command prints problems the same way: FILE:LINE: message.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """A validation problem, located in a file (line is 1-based, 0 = the whole file)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"
