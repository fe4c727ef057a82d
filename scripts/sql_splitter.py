"""Split a SQL script into statements the way the `mysql`/`mariadb` client does.

`DELIMITER xx` lines, quoted strings and identifiers, and comments are all understood, so
a file the migrator loads also loads with `mariadb bank < file.sql`. Executable comments
(`/*! ... */`, `/*M! ... */`) and optimizer hints (`/*+ ... */`) are code and kept.
"""

from __future__ import annotations

import re

_DELIMITER_COMMAND = re.compile(r"[ \t]*delimiter[ \t]+(\S+)[^\n]*(?:\n|\Z)", re.IGNORECASE)
_NON_SPACE = re.compile(r"\S")
_QUOTES = "'\"`"
# Comments that are code: MySQL executable comments and optimizer hints.
_CODE_COMMENTS = ("/*!", "/*M!", "/*+")


class _SqlSplitter:
    """A single pass over a script, tracking strings, comments and the delimiter."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.statements: list[str] = []
        self.start: int | None = None  # first code character of the current statement
        self.pos = 0
        self._set_delimiter(";")

    def _set_delimiter(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.special = re.compile("['\"`#/\\-\n" + re.escape(delimiter[0]) + "]")

    def run(self) -> list[str]:
        text, end = self.text, len(self.text)
        while self.pos < end:
            if self._at_line_start() and self._delimiter_command():
                continue
            if text.startswith(self.delimiter, self.pos):
                self._finish(self.pos)
                self.pos += len(self.delimiter)
                continue
            char = text[self.pos]
            if char in _QUOTES:
                self._mark_code()
                self.pos = _end_of_quoted(text, self.pos)
            elif char == "#" or _is_dash_comment(text, self.pos):
                newline = text.find("\n", self.pos)
                self.pos = end if newline < 0 else newline
            elif text.startswith("/*", self.pos):
                if text.startswith(_CODE_COMMENTS, self.pos):
                    self._mark_code()
                close = text.find("*/", self.pos + 2)
                self.pos = end if close < 0 else close + 2
            else:
                self._skip_plain()
        self._finish(end)
        return self.statements

    def _at_line_start(self) -> bool:
        return self.pos == 0 or self.text[self.pos - 1] == "\n"

    def _delimiter_command(self) -> bool:
        """Handle a client `DELIMITER xx` line; it also ends any statement before it."""
        match = _DELIMITER_COMMAND.match(self.text, self.pos)
        if match is None:
            return False
        self._finish(self.pos)
        self._set_delimiter(match.group(1))
        self.pos = match.end()
        return True

    def _skip_plain(self) -> None:
        """Advance over ordinary text up to the next character that may matter."""
        if self.text[self.pos] == "\n":
            self.pos += 1  # the next line may be a DELIMITER command
            return
        following = self.special.search(self.text, self.pos + 1)
        stop = following.start() if following else len(self.text)
        if self.start is None:
            code = _NON_SPACE.search(self.text, self.pos, stop)
            if code is not None:
                self.start = code.start()
        self.pos = stop

    def _mark_code(self) -> None:
        if self.start is None:
            self.start = self.pos

    def _finish(self, stop: int) -> None:
        if self.start is not None:
            statement = self.text[self.start : stop].rstrip()
            if statement:
                self.statements.append(statement)
        self.start = None


def _end_of_quoted(text: str, pos: int) -> int:
    """Index just past the string or quoted identifier that starts at `pos`."""
    quote, index, end = text[pos], pos + 1, len(text)
    while index < end:
        char = text[index]
        if (char == "\\" and quote != "`") or (char == quote and text.startswith(quote * 2, index)):
            index += 2  # an escaped character, or a doubled quote
        elif char == quote:
            return index + 1
        else:
            index += 1
    return end


def _is_dash_comment(text: str, pos: int) -> bool:
    """`-- ` starts a comment only when followed by whitespace (or the end)."""
    return text.startswith("--", pos) and (pos + 2 == len(text) or text[pos + 2].isspace())


def split_sql(text: str) -> list[str]:
    """Split a script into statements as the mysql client does (DELIMITER, quotes, comments)."""
    return _SqlSplitter(text).run()
