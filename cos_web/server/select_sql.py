"""COS Select's SQL subset: tokenized, parsed and checked into a small tree.

The expression never reaches SQLite as written: this module parses it into a tree
that holds only what COS Select documents (below), refusing anything else with
COS's Select error codes; `select_sqlite` writes the SQL SQLite runs from the tree.

    SELECT * | item [, item ...]  FROM COSObject [[AS] alias]  [WHERE cond]  [LIMIT n]
    item:   expr [[AS] name]
    expr:   literal ('text', 12, 1.5, TRUE, FALSE, NULL) | column | ( expr )
            | expr (+ - * / % ||) expr | - expr
            | expr (= <> != < > <= >=) expr | expr [NOT] LIKE pattern [ESCAPE 'c']
            | expr [NOT] BETWEEN a AND b | expr [NOT] IN (a, b, ...) | expr IS [NOT] NULL
            | NOT cond | cond AND cond | cond OR cond
            | CAST(expr AS INT|INTEGER|FLOAT|DOUBLE|DECIMAL|NUMERIC|STRING|VARCHAR|BOOL|BOOLEAN)
            | COUNT(*) | COUNT|SUM|AVG|MIN|MAX(expr)
            | LOWER|UPPER|CHAR_LENGTH|CHARACTER_LENGTH|TRIM(expr)
            | SUBSTRING(expr FROM a [FOR b]) | SUBSTRING(expr, a [, b]) | COALESCE(a, ...) | NULLIF(a, b)
    column: _N | name | "Quoted Name" | alias._N | alias.name | alias.a.b (JSON paths)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import CosServerError

KEYWORDS = {
    "SELECT", "FROM", "WHERE", "LIMIT", "AS", "AND", "OR", "NOT", "LIKE", "ESCAPE", "IS", "NULL", "BETWEEN",
    "IN", "CAST", "TRUE", "FALSE",
}
AGGREGATES = {"COUNT", "SUM", "AVG", "MIN", "MAX"}
SCALARS = {"LOWER": "lower", "UPPER": "upper", "CHAR_LENGTH": "length", "CHARACTER_LENGTH": "length",
           "TRIM": "trim", "SUBSTRING": "substr", "COALESCE": "coalesce", "NULLIF": "nullif"}
CAST_TYPES = {"INT": "INT", "INTEGER": "INT", "BIGINT": "INT", "FLOAT": "FLOAT", "DOUBLE": "FLOAT",
              "REAL": "FLOAT", "DECIMAL": "FLOAT", "NUMERIC": "FLOAT", "STRING": "STRING", "VARCHAR": "STRING",
              "CHAR": "STRING", "BOOL": "BOOL", "BOOLEAN": "BOOL"}
COMPARE = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
MAX_DEPTH = 100  # nesting past this is refused (no deep recursion on hostile input)

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
  | (?P<str>'(?:[^']|'')*')
  | (?P<qid>"(?:[^"]|"")*")
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><>|!=|<=|>=|\|\||[-+*/%=<>(),.\[\];])
""", re.VERBOSE)


def select_error(code: str, message: str) -> CosServerError:
    return CosServerError(code, message, status=400)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num, str, qid, id, op, end
    text: str
    at: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "id" else ""


def tokenize(sql: str) -> list[Token]:
    out: list[Token] = []
    at = 0
    while at < len(sql):
        found = _TOKEN.match(sql, at)
        if found is None:
            raise select_error("ParseInvalidTypeParam" if sql[at] in "'\"" else "ParseUnexpectedToken",
                               f"Unexpected character {sql[at]!r} at position {at + 1}.")
        if found.lastgroup != "ws":
            out.append(Token(found.lastgroup or "", found.group(), at))
        at = found.end()
    out.append(Token("end", "", len(sql)))
    return out


# ---------------------------------------------------------------- the tree
@dataclass(frozen=True, slots=True)
class Column:
    """A column reference: a path of names (JSON, CSV headers) or ``_N`` (a CSV position)."""

    path: tuple[str, ...]
    quoted: tuple[bool, ...]

    @property
    def position(self) -> int | None:
        """N for ``_N`` (1-based), else None."""
        if len(self.path) == 1 and not self.quoted[0] and re.fullmatch(r"_[1-9]\d{0,5}", self.path[0]):
            return int(self.path[0][1:])
        return None

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass(slots=True)
class Query:
    star: bool
    items: list[tuple[Any, str | None]]  # (expression tree, alias)
    where: Any = None
    limit: int | None = None
    alias: str | None = None
    columns: list[Column] = field(default_factory=list)  # every distinct column referenced, in order

    @property
    def aggregate(self) -> bool:
        return any(_has_aggregate(expr) for expr, _ in self.items)

    def output_names(self) -> list[str]:
        """The JSON output key of each item: its alias, a column's own name, else ``_<position>``."""
        names = []
        for index, (expr, alias) in enumerate(self.items, 1):
            if alias:
                names.append(alias)
            elif isinstance(expr, Column):
                names.append(expr.name)
            else:
                names.append(f"_{index}")
        return names


def _has_aggregate(node: Any) -> bool:
    if isinstance(node, tuple):
        return (node[0] == "agg") or any(_has_aggregate(part) for part in node[1:])
    if isinstance(node, list):
        return any(_has_aggregate(part) for part in node)
    return False


def _has_bare_column(node: Any) -> bool:
    """A column outside every aggregate (not allowed beside aggregates in one SELECT)."""
    if isinstance(node, Column):
        return True
    if isinstance(node, tuple) and node[0] != "agg":
        return any(_has_bare_column(part) for part in node[1:])
    if isinstance(node, list):
        return any(_has_bare_column(part) for part in node)
    return False


# ---------------------------------------------------------------- the parser
class _Parser:
    def __init__(self, sql: str) -> None:
        self.tokens = tokenize(sql)
        self.pos = 0
        self.depth = 0
        self.columns: dict[Column, None] = {}
        self.alias = self._find_alias()
        self.in_aggregate = False

    def _find_alias(self) -> str | None:
        """The table alias (``FROM COSObject [AS] s``), known before the select list is read."""
        for index, token in enumerate(self.tokens[:-2]):
            if token.upper == "FROM" and self.tokens[index + 1].upper == "COSOBJECT":
                after = self.tokens[index + 2]
                if after.upper == "AS":
                    after = self.tokens[index + 3]
                if after.kind == "id" and after.upper not in KEYWORDS:
                    return after.text
                return None
        return None

    # tokens
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at_word(self, *words: str) -> bool:
        return self.tok.upper in words

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def unexpected(self, expected: str = "") -> CosServerError:
        token = self.tok
        shown = token.text or "end of expression"
        more = f"; expected {expected}" if expected else ""
        return select_error("ParseUnexpectedToken", f"Unexpected token {shown!r} at position {token.at + 1}{more}.")

    def word(self, word: str) -> None:
        if not self.at_word(word):
            raise self.unexpected(word)
        self.pos += 1

    def op(self, op: str) -> None:
        if not self.at_op(op):
            raise self.unexpected(repr(op))
        self.pos += 1

    # statement
    def query(self) -> Query:
        if not self.at_word("SELECT"):
            if self.tok.kind == "id":
                raise select_error("ParseUnsupportedSelect",
                                   f"Only SELECT is supported, not {self.tok.text.upper()}.")
            raise self.unexpected("SELECT")
        self.pos += 1
        star, items = False, []
        if self.at_op("*"):
            self.pos += 1
            star = True
        else:
            items.append(self.item())
            while self.at_op(","):
                self.pos += 1
                items.append(self.item())
        self.word("FROM")
        source = self.take()
        if source.upper != "COSOBJECT":
            raise select_error("InvalidDataSource", "The FROM clause must name COSObject.")
        if self.at_op("["):
            raise select_error("ParseUnsupportedSyntax", "COSObject[*] paths are not supported by this server.")
        if self.at_word("AS"):
            self.pos += 1
            if self.tok.kind != "id" or self.tok.upper in KEYWORDS:
                raise self.unexpected("a table alias")
        if self.tok.kind == "id" and self.tok.upper not in KEYWORDS:
            self.pos += 1  # the alias, read by _find_alias
        query = Query(star, items, alias=self.alias)
        if self.at_word("WHERE"):
            self.pos += 1
            query.where = self.expr()
            if _has_aggregate(query.where):
                raise select_error("ParseInvalidContextForAggregate", "Aggregates are not allowed in WHERE.")
        if self.at_word("LIMIT"):
            self.pos += 1
            token = self.take()
            if token.kind != "num" or not token.text.isdigit():
                raise select_error("ParseUnexpectedToken", "LIMIT takes a non-negative integer.")
            query.limit = int(token.text)
        if self.tok.kind != "end":
            raise self.unexpected("end of expression")
        if query.aggregate and any(_has_bare_column(expr) for expr, _ in items):
            raise select_error("ParseUnsupportedSyntax",
                               "A SELECT with aggregates may only hold aggregates and literals.")
        query.columns = list(self.columns)
        return query

    def item(self) -> tuple[Any, str | None]:
        expr = self.expr()
        alias = None
        if self.at_word("AS"):
            self.pos += 1
            if self.tok.kind not in ("id", "qid") or self.tok.upper in KEYWORDS:
                raise self.unexpected("a column alias")
        if self.tok.kind == "qid" or (self.tok.kind == "id" and self.tok.upper not in KEYWORDS):
            token = self.take()
            alias = token.text[1:-1].replace('""', '"') if token.kind == "qid" else token.text
        return expr, alias

    # expressions, lowest precedence first
    def expr(self) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise select_error("ParseUnsupportedSyntax", "The expression is nested too deeply.")
        try:
            return self.or_()
        finally:
            self.depth -= 1

    def or_(self) -> Any:
        node = self.and_()
        while self.at_word("OR"):
            self.pos += 1
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.not_()
        while self.at_word("AND"):
            self.pos += 1
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Any:
        if self.at_word("NOT"):
            self.pos += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise select_error("ParseUnsupportedSyntax", "The expression is nested too deeply.")
            try:
                return ("not", self.not_())
            finally:
                self.depth -= 1
        return self.predicate()

    def predicate(self) -> Any:
        left = self.additive()
        if self.tok.kind == "op" and self.tok.text in COMPARE:
            op = COMPARE[self.take().text]
            return ("cmp", op, left, self.additive())
        if self.at_word("IS"):
            self.pos += 1
            negated = self.at_word("NOT")
            self.pos += negated
            self.word("NULL")
            return ("isnull", left, negated)
        negated = False
        if self.at_word("NOT") and self.tokens[self.pos + 1].upper in ("LIKE", "BETWEEN", "IN"):
            self.pos += 1
            negated = True
        if self.at_word("LIKE"):
            self.pos += 1
            pattern = self.additive()
            escape = None
            if self.at_word("ESCAPE"):
                self.pos += 1
                token = self.take()
                if token.kind != "str" or len(_unquote(token.text)) != 1:
                    raise select_error("ParseUnexpectedToken", "ESCAPE takes a one-character string.")
                escape = _unquote(token.text)
            return ("like", left, pattern, escape, negated)
        if self.at_word("BETWEEN"):
            self.pos += 1
            low = self.additive()
            self.word("AND")
            return ("between", left, low, self.additive(), negated)
        if self.at_word("IN"):
            self.pos += 1
            self.op("(")
            items = [self.additive()]
            while self.at_op(","):
                self.pos += 1
                items.append(self.additive())
            self.op(")")
            return ("in", left, items, negated)
        if negated:
            raise self.unexpected("LIKE, BETWEEN or IN")
        return left

    def additive(self) -> Any:
        node = self.multiplicative()
        while self.at_op("+", "-", "||"):
            op = self.take().text
            node = ("bin", op, node, self.multiplicative())
        return node

    def multiplicative(self) -> Any:
        node = self.unary()
        while self.at_op("*", "/", "%"):
            op = self.take().text
            node = ("bin", op, node, self.unary())
        return node

    def unary(self) -> Any:
        if self.at_op("-", "+"):
            op = self.take().text
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise select_error("ParseUnsupportedSyntax", "The expression is nested too deeply.")
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            return operand if op == "+" else ("neg", operand)
        return self.primary()

    def primary(self) -> Any:
        token = self.tok
        if token.kind == "num":
            self.pos += 1
            text = token.text
            return ("lit", float(text) if any(c in text for c in ".eE") else int(text))
        if token.kind == "str":
            self.pos += 1
            return ("lit", _unquote(token.text))
        if self.at_op("("):
            self.pos += 1
            node = self.expr()
            self.op(")")
            return node
        if token.upper in ("TRUE", "FALSE"):
            self.pos += 1
            return ("lit", token.upper == "TRUE")
        if token.upper == "NULL":
            self.pos += 1
            return ("lit", None)
        if token.upper == "CAST":
            return self.cast()
        if token.kind == "id" and self.tokens[self.pos + 1].kind == "op" and self.tokens[self.pos + 1].text == "(":
            return self.call()
        if token.kind == "qid" or (token.kind == "id" and token.upper not in KEYWORDS):
            return self.column()
        raise self.unexpected("an expression")

    def cast(self) -> Any:
        self.pos += 1
        self.op("(")
        value = self.expr()
        self.word("AS")
        kind = self.take()
        if kind.upper not in CAST_TYPES:
            raise select_error("ParseUnsupportedSyntax", f"CAST to {kind.text or 'nothing'} is not supported.")
        self.op(")")
        return ("cast", value, CAST_TYPES[kind.upper])

    def call(self) -> Any:
        name = self.take().upper
        self.op("(")
        if name in AGGREGATES:
            if self.in_aggregate:
                raise select_error("ParseUnsupportedSyntax", "Aggregates cannot be nested.")
            if name == "COUNT" and self.at_op("*"):
                self.pos += 1
                self.op(")")
                return ("agg", "count", None)
            self.in_aggregate = True
            try:
                arg = self.expr()
            finally:
                self.in_aggregate = False
            self.op(")")
            return ("agg", name.lower(), arg)
        if name not in SCALARS:
            raise select_error("UnsupportedFunction", f"Function {name} is not supported.")
        if name == "SUBSTRING":
            args = [self.expr()]
            if self.at_word("FROM"):
                self.pos += 1
                args.append(self.expr())
                if self.at_word("FOR"):
                    self.pos += 1
                    args.append(self.expr())
            else:
                while self.at_op(","):
                    self.pos += 1
                    args.append(self.expr())
            self.op(")")
            if len(args) not in (2, 3):
                raise select_error("IncorrectSqlFunctionArgumentType", "SUBSTRING takes a string and 1 or 2 positions.")
            return ("fn", SCALARS[name], args)
        args = [self.expr()]
        while self.at_op(","):
            self.pos += 1
            args.append(self.expr())
        self.op(")")
        want = {"COALESCE": None, "NULLIF": 2}.get(name, 1)
        if want is not None and len(args) != want:
            raise select_error("IncorrectSqlFunctionArgumentType", f"{name} takes {want} argument(s).")
        return ("fn", SCALARS[name], args)

    def column(self) -> Column:
        parts: list[tuple[str, bool]] = [self._name()]
        while self.at_op("."):
            self.pos += 1
            if self.tok.kind not in ("id", "qid"):
                raise self.unexpected("a field name")
            parts.append(self._name())
        if self.at_op("["):
            raise select_error("ParseUnsupportedSyntax", "Array indexes are not supported by this server.")
        if len(parts) > 1:  # a path starts with the table alias
            if self.alias is None or parts[0][1] or parts[0][0].lower() != self.alias.lower():
                raise select_error("InvalidTableAlias", f"{parts[0][0]} is not the table alias of the FROM clause.")
            parts = parts[1:]
        column = Column(tuple(p for p, _ in parts), tuple(q for _, q in parts))
        self.columns.setdefault(column, None)
        return column

    def _name(self) -> tuple[str, bool]:
        token = self.take()
        if token.kind == "qid":
            return token.text[1:-1].replace('""', '"'), True
        if token.kind != "id" or token.upper in KEYWORDS:
            self.pos -= 1
            raise self.unexpected("a column name")
        return token.text, False


def _unquote(text: str) -> str:
    return text[1:-1].replace("''", "'")


def parse(sql: str) -> Query:
    """The checked tree of a COS Select expression, or a CosServerError with COS's Select code."""
    if not sql or not sql.strip():
        raise select_error("MissingRequiredParameter", "The Expression is empty.")
    return _Parser(sql).query()
