"""Comment themes from a rules file (`metrics/themes.yaml`): loading, validation, matching.

Local rules only: no network, no model. A theme has `keywords` (plain words or phrases matched
case-insensitively at the start of a word: `bug` finds "bugs" and "buggy") and optional
`patterns` (RE2 regular expressions, case-insensitive). The matching runs in DuckDB (see
`metrics/sql/theme_match.sql`): every rule becomes one alternative of a single case-insensitive
expression, bound as a parameter, so it is compiled once per query; each matched piece of text
("snippet") then belongs to the first rule, in precedence order, that it satisfies:

1. patterns (file order), 2. keywords, longest first, then by theme order.

`ThemeSet.match(text)` applies the very same rules in Python (tests, previews); the SQL and the
Python matcher agree on every comment of the demo data (tests/unit/test_metric_nps_themes.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

THEMES_FILE = Path(__file__).resolve().parent / "themes.yaml"
NEVER = r"[^\s\S]"  # matches nothing: the expression when there are no rules
_RE_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")
_SPACE = re.compile(r"\s+")
_UNSUPPORTED = (
    (re.compile(r"\(\?<?[=!]"), "look-arounds"),
    (re.compile(r"\\[1-9]"), "back-references"),
)


class ThemeError(ValueError):
    """The themes file is not usable; the message says where and why."""


def normalise(text: str) -> str:
    """Return text lower-cased with runs of white space made one space (how snippets and
    keywords are compared)."""
    return _SPACE.sub(" ", str(text).strip().lower())


def keyword_regex(keyword: str) -> str:
    """Return the expression of a keyword: its text, white space as `\\s+`, anchored at the
    start of a word when it starts with a letter or digit."""
    kw = normalise(keyword)
    body = r"\s+".join(_RE_SPECIAL.sub(r"\\\1", part) for part in kw.split(" "))
    return (r"\b" if re.match(r"\w", kw) else "") + body


@dataclass(frozen=True)
class Theme:
    """A comment theme: its name and the keyword rules that match it."""
    name: str
    keywords: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Rule:
    """One rule of one theme, in precedence order (`rank`: lower wins)."""

    theme: str
    kind: str  # "keyword" (text is normalised) or "pattern" (text is the RE2 expression)
    text: str
    regex: str  # its alternative in the combined expression
    rank: int


@dataclass(frozen=True)
class ThemeSet:
    """The themes of one file, with the rules and parameters the SQL binds."""

    version: str
    themes: tuple[Theme, ...]
    source: str
    sha256: str

    @property
    def names(self) -> tuple[str, ...]:
        """Return the theme names, in file order."""
        return tuple(t.name for t in self.themes)

    @property
    def fingerprint(self) -> str:
        """A short id of the file's content (first 12 hex digits of its sha256)."""
        return self.sha256[:12]

    def rules(self) -> list[Rule]:
        """Return every rule in precedence order: patterns (file order), then keywords,
        longest first, then by theme order."""
        order = {n: i for i, n in enumerate(self.names)}
        patterns = [(t.name, p) for t in self.themes for p in t.patterns]
        keywords = sorted(
            {(t.name, normalise(k)) for t in self.themes for k in t.keywords},
            key=lambda tk: (-len(tk[1]), order[tk[0]], tk[1]),
        )
        out = [Rule(name, "pattern", p, f"(?:{p})", i) for i, (name, p) in enumerate(patterns)]
        out += [
            Rule(name, "keyword", kw, keyword_regex(kw), len(out) + i)
            for i, (name, kw) in enumerate(keywords)
        ]
        return out

    def regex(self) -> str:
        """Return the combined case-insensitive expression of every rule."""
        rules = self.rules()
        return "(?i)" + ("|".join(r.regex for r in rules) if rules else NEVER)

    def params(self) -> dict:
        """Return the bound parameters of `theme_match.sql`: theme_names (display order),
        theme_regex, and the rules as parallel lists rule_theme, rule_kind, rule_text (patterns
        prefixed with `(?i)`), rule_rank."""
        rules = self.rules()
        return {
            "theme_names": list(self.names),
            "theme_regex": self.regex(),
            "rule_theme": [r.theme for r in rules],
            "rule_kind": [r.kind for r in rules],
            "rule_text": [("(?i)" + r.text) if r.kind == "pattern" else r.text for r in rules],
            "rule_rank": [r.rank for r in rules],
        }

    def theme_of(self, snippet: str) -> str | None:
        """Return the theme of one matched piece of text: its first rule in precedence order."""
        s = normalise(snippet)
        for r in self.rules():
            if r.kind == "keyword" and s == r.text:
                return r.theme
            if r.kind == "pattern" and re.fullmatch(r.text, s, re.IGNORECASE):
                return r.theme
        return None

    def match(self, text: str | None) -> list[str]:
        """Return the themes of a comment, in display order (same rules as the SQL)."""
        if not text:
            return []
        found = {self.theme_of(m.group(0)) for m in _compiled(self.regex()).finditer(text)}
        return [n for n in self.names if n in found]


@cache
def _compiled(expr: str) -> re.Pattern:
    return re.compile(expr)


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ThemeError(f"{where} must be a list of texts")
    out = tuple(str(v) for v in value if str(v).strip())
    return out


def _check_pattern(pattern: str, where: str) -> None:
    for rx, what in _UNSUPPORTED:
        if rx.search(pattern):
            raise ThemeError(f"{where}: {pattern!r} uses {what}, which RE2 (DuckDB) does not have")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        raise ThemeError(f"{where}: {pattern!r} is not a valid regular expression ({e})") from None
    if compiled.fullmatch(""):
        raise ThemeError(f"{where}: {pattern!r} matches empty text; it would match everywhere")


def parse_themes(text: str, source: str = "<text>") -> ThemeSet:
    """Return the ThemeSet of a themes document (YAML text); ThemeError when it is unusable."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ThemeError(f"{source} is not valid YAML: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("themes"), dict):
        raise ThemeError(f"{source} needs a `themes:` mapping of theme name -> rules")
    themes = []
    for name, spec in doc["themes"].items():
        label = str(name).strip()
        where = f"{source}, theme {label!r}"
        if not label:
            raise ThemeError(f"{source}: a theme has an empty name")
        if not isinstance(spec, dict):
            raise ThemeError(f"{where} must map to keywords and/or patterns")
        unknown = set(spec) - {"keywords", "patterns", "description"}
        if unknown:
            raise ThemeError(f"{where}: unknown key(s) {sorted(unknown)}; use keywords, "
                             "patterns, description")
        keywords = _strings(spec.get("keywords"), f"{where} keywords")
        patterns = _strings(spec.get("patterns"), f"{where} patterns")
        for p in patterns:
            _check_pattern(p, where)
        if not keywords and not patterns:
            raise ThemeError(f"{where} has no keywords and no patterns")
        themes.append(Theme(label, keywords, patterns, str(spec.get("description") or "")))
    if len({t.name for t in themes}) != len(themes):
        raise ThemeError(f"{source}: two themes have the same name")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return ThemeSet(str(doc.get("version", "")), tuple(themes), source, sha)


def load_themes(path: Path | str | None = None) -> ThemeSet:
    """Return the themes of `path` (default `metrics/themes.yaml`), re-read when it changes."""
    p = Path(path) if path else THEMES_FILE
    text = p.read_text(encoding="utf-8")
    return _parse_cached(text, str(p))


@cache
def _parse_cached(text: str, source: str) -> ThemeSet:
    return parse_themes(text, source)
