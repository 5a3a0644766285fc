"""Whitelisted, size-bounded exact arithmetic over model text.

Model output is hostile input, so nothing here calls ``eval``, ``sympify`` or ``parse_expr``.
Text is tokenised by one regular expression whose alternatives are all linear-time, then parsed
by a small recursive-descent parser that knows only numbers, ``+ - * / ^`` (and their unicode and
LaTeX spellings), parentheses, ``\\frac{..}{..}`` and a postfix ``%``. Values are exact sympy
``Rational`` numbers. Every input is bounded before any work is done:

- at most ``MAX_EXPR_CHARS`` characters and ``MAX_DEPTH`` levels of nesting;
- at most ``MAX_LITERAL_DIGITS`` digits in one literal;
- every intermediate result at most ``MAX_RESULT_BITS`` bits in numerator and denominator, and a
  power is refused *before* it is computed when its result would exceed that.

So one evaluation costs microseconds to a few milliseconds, whatever the input. Failures raise
:class:`ArithError` with a machine-readable ``reason``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

MAX_EXPR_CHARS = 512
MAX_DEPTH = 32
MAX_LITERAL_DIGITS = 40
MAX_RESULT_BITS = 4096

# Reasons an expression has no value. ``unsupported`` means "not plain arithmetic" (a LaTeX
# command, a variable, a tuple ...) and is the only one a caller may retry with another parser.
PARSE_ERROR = "parse_error"
UNSUPPORTED = "unsupported"
OVERSIZE = "oversize"
UNDEFINED = "undefined"


class ArithError(ValueError):
    """An expression that has no exact value here; ``reason`` is one of the module constants."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token: ``kind`` is num, op, lparen, rparen, lbrace, rbrace, frac, eq or word."""

    kind: str
    text: str
    start: int


# Every alternative is a fixed string or a simple character-class run, so matching is linear.
# A thousands-grouped number starts with 1-9 (``0,500`` is not five hundred, but a list or a decimal comma).
_NUMBER = r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_TOKEN_RE = re.compile(
    rf"(?P<num>{_NUMBER})"
    r"|(?P<frac>\\[dt]?frac)"
    r"|(?P<op>\*\*|\\cdot|\\times|\\div|[-+*/^×÷·−–%])"
    r"|(?P<lparen>\\left\s*[(\[]|[(\[])"
    r"|(?P<rparen>\\right\s*[)\]]|[)\]])"
    r"|(?P<lbrace>\{)"
    r"|(?P<rbrace>\})"
    r"|(?P<eq>=)"
    r"|(?P<skip>\s+|\$|\\[,;:! ]|\\[()\[\]])"
    r"|(?P<word>[A-Za-z]+|\\[A-Za-z]+|.)",
    re.DOTALL,
)
_OP_SPELLINGS = {
    "**": "^",
    "\\cdot": "*",
    "\\times": "*",
    "×": "*",
    "·": "*",
    "\\div": "/",
    "÷": "/",
    "−": "-",
    "–": "-",
}


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; whitespace, ``$`` and LaTeX spacing are dropped.

    Linear in ``len(text)``; callers bound the length. The word ``x`` between two numbers and
    ``of`` after a percentage are turned into multiplication (``0.2 x 50``, ``20% of 80``).
    """
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "skip":
            continue
        value = match.group()
        if kind == "op":
            value = _OP_SPELLINGS.get(value, value)
        tokens.append(Token(kind, value, match.start()))
    return _times_words_to_ops(tokens)


def _times_words_to_ops(tokens: list[Token]) -> list[Token]:
    """``3 x 4`` and ``20% of 80`` are products in prose; elsewhere these words stay words."""
    for i in range(1, len(tokens) - 1):
        tok, before, after = tokens[i], tokens[i - 1], tokens[i + 1]
        if tok.kind != "word" or after.kind not in ("num", "lparen"):
            continue
        is_times = tok.text in ("x", "X") and before.kind in ("num", "rparen")
        is_percent_of = tok.text == "of" and before.text == "%"
        if is_times or is_percent_of:
            tokens[i] = Token("op", "*", tok.start)
    return tokens


def parse_number_literal(text: str) -> sympy.Rational:
    """Exact value of one literal such as ``1,080``, ``0.25`` or ``.5`` (no sign)."""
    digits = text.replace(",", "")
    if len(digits) > MAX_LITERAL_DIGITS + 1:
        raise ArithError(OVERSIZE, f"literal of {len(digits)} characters")
    whole, _, frac = digits.partition(".")
    return sympy.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))


def evaluate(text: str) -> sympy.Rational:
    """Exact value of a whitelisted arithmetic expression, or :class:`ArithError`.

    >>> evaluate("1,080")
    1080
    >>> evaluate("\\\\frac{1}{2} + 0.5")
    1
    """
    if len(text) > MAX_EXPR_CHARS:
        raise ArithError(OVERSIZE, f"{len(text)} characters > {MAX_EXPR_CHARS}")
    return evaluate_tokens(tokenize(text))


def evaluate_tokens(tokens: list[Token]) -> sympy.Rational:
    """Exact value of an already tokenised expression (see :func:`evaluate`)."""
    if not tokens:
        raise ArithError(PARSE_ERROR, "empty expression")
    if len(tokens) > MAX_EXPR_CHARS:
        raise ArithError(OVERSIZE, f"{len(tokens)} tokens")
    parser = _Parser(tokens)
    value = parser.expression(0)
    if parser.pos != len(tokens):
        tok = tokens[parser.pos]
        raise ArithError(_reason_for(tok), f"unexpected {tok.text!r}")
    return value


def _bracket(text: str) -> str:
    """``(`` or ``[`` for an opening or closing bracket token, ``\\left`` / ``\\right`` included."""
    return "(" if text[-1] in "()" else "["


def _reason_for(tok: Token) -> str:
    """Letters, LaTeX commands and separators mean 'not plain arithmetic', not 'malformed'."""
    if tok.kind in ("word", "eq") or tok.text in (",",):
        return UNSUPPORTED
    return PARSE_ERROR


def _check_size(value: sympy.Rational) -> sympy.Rational:
    if max(int(value.p).bit_length(), int(value.q).bit_length()) > MAX_RESULT_BITS:
        raise ArithError(OVERSIZE, f"result over {MAX_RESULT_BITS} bits")
    return value


def _power(base: sympy.Rational, exponent: sympy.Rational) -> sympy.Rational:
    if exponent.q != 1:
        raise ArithError(UNSUPPORTED, "non-integer exponent")
    exp = int(exponent.p)
    base_bits = max(int(base.p).bit_length(), int(base.q).bit_length())
    if abs(exp) > MAX_RESULT_BITS or base_bits * abs(exp) > MAX_RESULT_BITS:
        raise ArithError(OVERSIZE, "power too large")
    if base == 0 and exp < 0:
        raise ArithError(UNDEFINED, "zero to a negative power")
    return _check_size(base**exp)


class _Parser:
    """Recursive descent: expression > term > unary > power > atom, with a depth bound."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != kind or (text is not None and tok.text != text):
            got = "end of input" if tok is None else repr(tok.text)
            reason = PARSE_ERROR if tok is None else _reason_for(tok)
            raise ArithError(reason, f"expected {text or kind}, got {got}")
        self.pos += 1
        return tok

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in ops

    def expression(self, depth: int) -> sympy.Rational:
        if depth > MAX_DEPTH:
            raise ArithError(OVERSIZE, f"nesting deeper than {MAX_DEPTH}")
        value = self.term(depth)
        while self.at_op("+", "-"):
            op = self.take("op").text
            rhs = self.term(depth)
            value = _check_size(value + rhs if op == "+" else value - rhs)
        return value

    def term(self, depth: int) -> sympy.Rational:
        value = self.unary(depth)
        while self.at_op("*", "/"):
            op = self.take("op").text
            rhs = self.unary(depth)
            if op == "/" and rhs == 0:
                raise ArithError(UNDEFINED, "division by zero")
            value = _check_size(value * rhs if op == "*" else value / rhs)
        return value

    def unary(self, depth: int) -> sympy.Rational:
        if self.at_op("-", "+"):
            sign = self.take("op").text
            if depth > MAX_DEPTH:
                raise ArithError(OVERSIZE, f"nesting deeper than {MAX_DEPTH}")
            value = self.unary(depth + 1)
            return -value if sign == "-" else value
        return self.power(depth)

    def power(self, depth: int) -> sympy.Rational:
        base = self.postfix(depth)
        if self.at_op("^"):
            self.take("op")
            exponent = self.unary(depth + 1)  # right-associative: 2^3^2 = 2^9
            return _power(base, exponent)
        return base

    def postfix(self, depth: int) -> sympy.Rational:
        value = self.atom(depth)
        while self.at_op("%"):
            self.take("op")
            value = _check_size(value / 100)
        return value

    def atom(self, depth: int) -> sympy.Rational:
        tok = self.peek()
        if tok is None:
            raise ArithError(PARSE_ERROR, "expression ends early")
        if tok.kind == "num":
            self.pos += 1
            return parse_number_literal(tok.text)
        if tok.kind in ("lparen", "lbrace"):
            self.pos += 1
            value = self.expression(depth + 1)
            closing = self.take("rparen" if tok.kind == "lparen" else "rbrace")
            if tok.kind == "lparen" and _bracket(tok.text) != _bracket(closing.text):
                # ``[0,1)`` is an interval, not a number in brackets
                raise ArithError(UNSUPPORTED, f"{tok.text!r} closed by {closing.text!r}")
            return value
        if tok.kind == "frac":
            self.pos += 1
            return self.fraction(depth)
        raise ArithError(_reason_for(tok), f"unexpected {tok.text!r}")

    def fraction(self, depth: int) -> sympy.Rational:
        if self.peek() is None or self.peek().kind != "lbrace":
            raise ArithError(UNSUPPORTED, "\\frac without braces")
        numerator = self.atom(depth + 1)
        if self.peek() is None or self.peek().kind != "lbrace":
            raise ArithError(UNSUPPORTED, "\\frac without braces")
        denominator = self.atom(depth + 1)
        if denominator == 0:
            raise ArithError(UNDEFINED, "division by zero")
        return _check_size(numerator / denominator)
