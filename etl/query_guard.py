"""The first line of defence of read-only exports: check SQL text before it reaches a database.

The second line is the database itself (`make_engine(read_only=True)`: SQLite
`query_only`, PostgreSQL read-only transactions with prepared statements, MariaDB
read-only sessions), which refuses a write this check misses. This check exists to give a
clear message early and to refuse what a read-only transaction would still allow (a
second statement, `SELECT … INTO OUTFILE`, a `dblink` call). The SQL is parsed with
sqlglot, twice: dialects disagree on backslash escapes in strings and on `/*! … */`
comments (MySQL runs their content), so the text is read as the standard reads it
(PostgreSQL, SQLite) and as MySQL reads it, and must pass under each reading that parses.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from etl.errors import ReadOnlyViolation, UsageError

# Nodes of statements and clauses that change data, schema, locks or files.
WRITING_NODES: dict[type[exp.Expr], str] = {
    exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE",
    exp.Create: "CREATE", exp.Drop: "DROP", exp.Alter: "ALTER", exp.TruncateTable: "TRUNCATE",
    exp.Into: "INTO", exp.Lock: "FOR UPDATE/SHARE", exp.Command: "a command", exp.Pragma: "PRAGMA",
    exp.Grant: "GRANT",
}
# PostgreSQL's dblink runs its SQL text on a second, read-write connection.
WRITING_FUNCTIONS = frozenset({"dblink", "dblink_exec"})


class _MySQLReading(MySQL):
    """MySQL's strings and comments, plus `$tag$ … $tag$` quotes: text a server of the
    other reading takes as one string is kept one string here too."""

    class Tokenizer(MySQL.Tokenizer):
        HEREDOC_STRINGS = ["$"]
        HEREDOC_TAG_IS_IDENTIFIER = True
        HEREDOC_STRING_ALTERNATIVE = TokenType.PARAMETER
        SINGLE_TOKENS = {**MySQL.Tokenizer.SINGLE_TOKENS, "$": TokenType.HEREDOC_STRING}


READINGS: tuple[type[sqlglot.Dialect], ...] = (Postgres, _MySQLReading)


def check_select(sql: str, *, what: str = "--sql") -> None:
    """Refuse anything but one SELECT (or WITH … SELECT, UNION, VALUES) statement."""
    for tokens, statements in _readings(sql, what):
        _refuse_executable_comments(tokens, what)
        present = [s for s in statements if s is not None and not isinstance(s, exp.Semicolon)]
        if not present:
            raise UsageError(f"{what} is empty; give a SELECT query")
        if len(present) > 1:
            raise ReadOnlyViolation(f"{what} must be a single statement; found more than one (';')")
        statement = present[0]
        if not isinstance(statement, (exp.Query, exp.Values)):
            found = (statement.key if not isinstance(statement, exp.Command) else statement.this).upper()
            raise ReadOnlyViolation(f"{what} must be a SELECT query; found {found}: exports are read-only")
        _refuse_writes(statement, what)


def check_fragment(fragment: str, option: str) -> None:
    """A `--where`/`--order-by` fragment must stay inside the one query it is put into."""
    if not fragment.strip():
        raise UsageError(f"{option} is empty")
    clause = "ORDER BY" if option == "--order-by" else "WHERE"
    for tokens, statements in _readings(f"SELECT 1 FROM t {clause} {fragment}", option):
        if any(token.comments for token in tokens):
            raise ReadOnlyViolation(f"{option} may not contain SQL comments")
        if any(token.token_type == TokenType.SEMICOLON for token in tokens):
            raise ReadOnlyViolation(f"{option} may not contain ';': exports run a single read-only query")
        if not _balanced(tokens):
            raise UsageError(f"{option} has unbalanced parentheses: {fragment!r}")
        statement = statements[0]
        if not isinstance(statement, exp.Select):
            raise UsageError(f"{option} must be a {'sort order' if clause == 'ORDER BY' else 'condition'}, "
                             f"not a query of its own: {fragment!r}")
        _refuse_writes(statement, option)


def _readings(sql: str, what: str) -> Iterator[tuple[list[Token], list[exp.Expr | None]]]:
    """The tokens and statements of `sql` under each reading that parses it; if none does,
    the first reading's error."""
    parsed: list[tuple[list[Token], list[exp.Expr | None]]] = []
    errors: list[SqlglotError] = []
    for dialect in READINGS:
        try:
            tokens = dialect().tokenize(sql)
            parsed.append((tokens, dialect().parser().parse(tokens, sql)))
        except SqlglotError as err:
            errors.append(err)
    if not parsed:
        reason = str(errors[0]).splitlines()[0]
        raise UsageError(f"{what} is not SQL etl can read: {reason}")
    return iter(parsed)


def _refuse_writes(statement: exp.Expr, what: str) -> None:
    for node in statement.walk():
        for kind, name in WRITING_NODES.items():
            if isinstance(node, kind):
                raise ReadOnlyViolation(f"{what} may only read: {name} is not allowed in an export query")
        if isinstance(node, exp.Func) and node.name.lower() in WRITING_FUNCTIONS:
            raise ReadOnlyViolation(f"{what} may only read: {node.name.upper()} is not allowed in an export query")


def _refuse_executable_comments(tokens: list[Token], what: str) -> None:
    """MySQL runs the content of `/*! … */` comments, which every other reading skips."""
    if any(comment.startswith("!") for token in tokens for comment in token.comments):
        raise ReadOnlyViolation(f"{what} may only read: MySQL's executable /*! … */ comments are not allowed")


def _balanced(tokens: list[Token]) -> bool:
    depth = 0
    for token in tokens:
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
        if depth < 0:
            return False
    return depth == 0
