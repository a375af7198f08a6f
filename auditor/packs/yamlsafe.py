"""Safe YAML for packs: plain data with the line and column of every key and value.

Packs come from strangers (shared in workshops), so reading one must be harmless:

* only plain data (mappings, lists, text, numbers, true/false, null); no tags that build
  objects, no merge keys;
* limits on size, nesting depth, aliases and on how many values aliases expand to (the
  "billion laughs" document stays a short error message);
* a YAML 1.2-like reading of scalars: ``yes``, ``no``, ``on``, ``off`` are text (country
  codes like ``NO`` stay text), dates stay text (the engine parses them where a date is
  expected), numbers are numbers;
* duplicate keys are errors (YAML itself would silently keep the last one).

:func:`load_yaml` returns the data, a map from each value's path to its location, and
the issues found. It never raises on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from auditor.packs.issues import Issue

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_ALIASES = 100
MAX_VALUES = 200_000

Path = tuple[object, ...]

_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_BOOL = re.compile(r"^(true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(~|null|Null|NULL|)$")

_LoaderBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PackLoader(_LoaderBase):  # type: ignore[misc, valid-type]
    """SafeLoader with YAML 1.2 core-schema scalars instead of YAML 1.1's surprises."""

    yaml_implicit_resolvers: dict = {}


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789")),
):
    _PackLoader.add_implicit_resolver(_tag, _pattern, _first)

_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass
class Located:
    """YAML data plus where each piece of it is in the file."""

    data: object
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[int, int]:
        """Line and column of the value at ``path``, or of its nearest located parent."""
        path = tuple(path)
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def where_key(self, path: Path) -> tuple[int, int]:
        """Line and column of the key that names ``path`` (for unknown or misspelt keys)."""
        return self.keys.get(tuple(path)) or self.where(path)


def load_yaml(text: str | bytes, file: str) -> tuple[Located | None, list[Issue]]:
    """Parse one YAML document safely. Returns ``(None, issues)`` when it cannot be read."""
    size = len(text)
    if size > MAX_BYTES:
        return None, [
            Issue(file, 1, 1, "yaml-limits", f"the file is {size:,} bytes; a pack may be at most {MAX_BYTES:,}")
        ]
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as problem:
            return None, [Issue(file, 1, 1, "yaml-syntax", f"the file is not UTF-8 text ({problem.reason})")]
    try:
        problem = _check_events(text, file)
        if problem:
            return None, [problem]
        node = yaml.compose(text, Loader=_PackLoader)
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_issue(error, file, text)]
    except yaml.YAMLError as error:
        return None, [Issue(file, 1, 1, "yaml-syntax", f"not valid YAML: {error}")]
    if node is None:
        return None, [Issue(file, 1, 1, "yaml-syntax", "the file is empty; expected a mapping of keys")]
    walker = _Walker(file)
    data = walker.build(node, ())
    return Located(data, walker.values, walker.keys), walker.issues


def _check_events(text: str, file: str) -> Issue | None:
    """Depth and alias limits, checked on the event stream before anything is built."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_PackLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return Issue(file, mark.line + 1, mark.column + 1, "yaml-limits",
                             f"values are nested more than {MAX_DEPTH} levels deep")  # fmt: skip
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                mark = event.start_mark
                return Issue(file, mark.line + 1, mark.column + 1, "yaml-limits",
                             f"more than {MAX_ALIASES} aliases (*name); a pack needs far fewer")  # fmt: skip
    return None


def _syntax_issue(error: yaml.MarkedYAMLError, file: str, text: str) -> Issue:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    words = " ".join(str(part) for part in (error.context, error.problem) if part)
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    hint = ""
    if "\t" in source_line[: column + 1]:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in words:
        hint = "a value containing ': ' must be quoted"
    return Issue(file, line, column, "yaml-syntax", f"not valid YAML: {words}", hint=hint)


class _Walker:
    """Builds plain Python data from the node tree, recording locations and issues."""

    def __init__(self, file: str):
        self.file = file
        self.values: dict[Path, tuple[int, int]] = {}
        self.keys: dict[Path, tuple[int, int]] = {}
        self.issues: list[Issue] = []
        self.built = 0

    def _issue(self, node: yaml.Node, check: str, message: str, hint: str = "") -> None:
        self.issues.append(
            Issue(self.file, node.start_mark.line + 1, node.start_mark.column + 1, check, message, hint=hint)
        )

    def build(self, node: yaml.Node, path: Path) -> object:
        self.built += 1
        if self.built > MAX_VALUES:
            if self.built == MAX_VALUES + 1:
                self._issue(node, "yaml-limits", f"the pack expands to more than {MAX_VALUES:,} values (aliases?)")
            return None
        self.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _ALLOWED_TAGS:
            self._issue(node, "yaml-tag", f"the tag {node.tag} is not allowed in a pack; only plain data is")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, object]:
        out: dict[str, object] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._issue(key_node, "yaml-key", "a key must be plain text, not a list or mapping")
                continue
            if key_node.value == "<<" and not key_node.style:
                self._issue(key_node, "yaml-merge", "merge keys (<<) are not supported in packs",
                            "repeat the keys, or put an anchor on the whole value")  # fmt: skip
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_seen:
                self._issue(key_node, "duplicate-key", f"the key '{key}' appears twice in this mapping "
                            f"(first on line {first_seen[key]}); YAML would silently keep only one",
                            "remove or rename one of them")  # fmt: skip
                continue
            first_seen[key] = line
            self.keys[(*path, key)] = (line, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, (*path, key))
        return out


def _scalar(node: yaml.ScalarNode) -> object:
    value = node.value
    if node.style:  # quoted or block text is always text
        return value
    tag = node.tag
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:int":
        return int(value.replace("_", ""))
    if tag == "tag:yaml.org,2002:float":
        return float(value.replace("_", ""))
    return value
