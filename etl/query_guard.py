"""The first line of defence of read-only exports: check SQL text before it reaches a database.

The second line is the database itself (`make_engine(read_only=True)`: SQLite
`query_only`, PostgreSQL read-only transactions with prepared statements, MariaDB
read-only sessions), which refuses a write this check misses. This check exists to give a
clear message early and to refuse what a read-only transaction would still allow (a
second statement, `SELECT … INTO OUTFILE`). It does not parse SQL: it blanks out string
literals, quoted identifiers and comments, then looks at what is left. Dialects disagree on
backslash escapes and `#` comments, so the text is read both ways (MySQL's and the
standard's) and must pass under each.
"""

from __future__ import annotations

import re

from etl.errors import ReadOnlyViolation, UsageError

# Words of statements that change data, schema or files (INTO: `SELECT … INTO OUTFILE`
# writes a server file even in a read-only transaction). Kept short on purpose: words that
# are also common column names (load, release, …) would refuse honest queries, and the
# database's read-only transaction is the guard that does not guess.
FORBIDDEN_WORDS = frozenset(
    {
        "insert", "update", "delete", "merge", "into", "create", "alter", "drop", "truncate",
        "grant", "revoke", "attach", "detach", "pragma", "vacuum", "commit", "rollback",
        # PostgreSQL's dblink runs its SQL text on a second, read-write connection.
        "dblink", "dblink_exec",
    }
)
QUERY_STARTS = ("select", "with", "values", "table")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_QUOTES = {"'": "'", '"': '"', "`": "`"}


def check_select(sql: str, *, what: str = "--sql") -> None:
    """Refuse anything but one SELECT (or WITH … SELECT) statement."""
    for code in _readings(sql, what):
        _check_select_code(code.strip(), what)


def _check_select_code(code: str, what: str) -> None:
    if code.endswith(";"):
        code = code[:-1].rstrip()
    if not code:
        raise UsageError(f"{what} is empty; give a SELECT query")
    if ";" in code:
        raise ReadOnlyViolation(f"{what} must be a single statement; found more than one (';')")
    first = _WORD.search(code.lstrip("( \t\r\n"))
    if first is None or first.group().lower() not in QUERY_STARTS:
        found = first.group().upper() if first else code[:20]
        raise ReadOnlyViolation(f"{what} must be a SELECT query; found {found}: exports are read-only")
    for match in _WORD.finditer(code):
        word = match.group().lower()
        if word in FORBIDDEN_WORDS:
            raise ReadOnlyViolation(
                f"{what} may only read: {word.upper()} is not allowed in an export query"
            )


def check_fragment(fragment: str, option: str) -> None:
    """A `--where`/`--order-by` fragment must stay inside the one query it is put into."""
    for code in _readings(fragment, option, comments=False):
        _check_fragment_code(code, fragment, option)


def _check_fragment_code(code: str, fragment: str, option: str) -> None:
    if ";" in code:
        raise ReadOnlyViolation(f"{option} may not contain ';': exports run a single read-only query")
    if not code.strip():
        raise UsageError(f"{option} is empty")
    depth = 0
    for char in code:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise UsageError(f"{option} has unbalanced parentheses: {fragment!r}")
    for match in _WORD.finditer(code):
        if match.group().lower() in FORBIDDEN_WORDS:
            raise ReadOnlyViolation(
                f"{option} may only read: {match.group().upper()} is not allowed in an export query"
            )


def _readings(sql: str, what: str, *, comments: bool = True) -> list[str]:
    """`sql` stripped as MySQL reads it and as the standard (PostgreSQL, SQLite) reads it."""
    readings: list[str] = []
    errors: list[UsageError] = []
    for mysql in (True, False):
        try:
            readings.append(_strip(sql, what, mysql=mysql, comments=comments))
        except UsageError as err:
            errors.append(err)
    if not readings:
        raise errors[0]
    return readings


def _strip(sql: str, what: str, *, mysql: bool, comments: bool = True) -> str:
    """`sql` with literals and quoted names replaced by a blank placeholder and comments
    removed; with `comments=False` a comment is refused (in a fragment it could hide the
    rest of the query it is put into)."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in _QUOTES:
            end = _closing(sql, i + 1, _QUOTES[char], backslash=mysql)
            if end < 0:
                raise UsageError(f"{what} has an unterminated {char}…{_QUOTES[char]} quote")
            out.append(" x ")
            i = end + 1
        elif (sql.startswith("--", i) and not mysql) or re.match(r"--\s", sql[i:i + 3]) or (
            mysql and char == "#"
        ):
            _refuse_comment(comments, what)
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline
            out.append(" ")
        elif sql.startswith("/*", i):
            _refuse_comment(comments, what)
            end = sql.find("*/", i + 2)
            if end < 0:
                raise UsageError(f"{what} has an unterminated /* comment")
            # MySQL runs the content of /*! … */ comments, so it stays visible to the check.
            out.append(f" {sql[i + 3:end]} " if sql.startswith("/*!", i) else " ")
            i = end + 2
        elif char == "$" and (tag := re.match(r"\$[A-Za-z_0-9]*\$", sql[i:])):
            end = sql.find(tag.group(), i + len(tag.group()))
            if end < 0:
                raise UsageError(f"{what} has an unterminated {tag.group()} quote")
            out.append(" x ")
            i = end + len(tag.group())
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _refuse_comment(allowed: bool, what: str) -> None:
    if not allowed:
        raise ReadOnlyViolation(f"{what} may not contain SQL comments")


def _closing(sql: str, start: int, quote: str, *, backslash: bool) -> int:
    """Index of the quote closing a literal opened before `start`; doubled quotes (and, if
    `backslash`, backslash escapes) stay inside it."""
    i = start
    while i < len(sql):
        if backslash and sql[i] == "\\":
            i += 2
            continue
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i
        i += 1
    return -1
