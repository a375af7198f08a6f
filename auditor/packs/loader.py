"""Load packs like a compiler: every problem at once, each located, with a hint.

:func:`load_pack` reads one pack file (safe YAML, :mod:`auditor.packs.yamlsafe`),
validates the header and then each rule on its own (so one broken rule does not hide
the problems of the others), includes shared lists, runs the semantic checks of
:mod:`auditor.packs.lint` and compiles the rules. It never raises on a bad pack: the
result carries its :class:`~auditor.packs.issues.Issue` list, and a pack with errors has
no compiled form.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from auditor import resources
from auditor.engine.compile import CompiledPack, compile_pack
from auditor.packs import model as fmt
from auditor.packs.issues import Issue, describe, did_you_mean, one_of
from auditor.packs.yamlsafe import MAX_BYTES, Located, load_yaml

SIGNALS_FILE = "signals.yaml"
# The built-in packs hold at most about 30 rules. Run time grows with rules times rows times
# sources (ablation), so a pack from a stranger is bounded here, with room to spare.
MAX_RULES = 500
_UNSAFE = {"yaml-limits", "yaml-tag", "yaml-merge", "yaml-key"}
_CUSTOM_CHECKS = {"unknown_measure": "unknown-measure"}
LISTS_DIR = "lists"


@dataclass
class LoadedPack:
    """A pack file after loading: the model, compiled rules and every issue found."""

    file: str
    path: Path | None
    pack: fmt.Pack | None = None
    compiled: CompiledPack | None = None
    issues: list[Issue] = field(default_factory=list)
    located: Located | None = None
    lists: dict[str, list] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.compiled is not None and not self.errors


# --- the signal vocabulary -------------------------------------------------------------------


@dataclass
class Vocabulary:
    """The shared signal tags (rules/signals.yaml), or None where none could be read."""

    signals: dict[str, fmt.Signal]
    issues: list[Issue]


def load_signals(path: Path | None = None) -> Vocabulary:
    """Read the signal vocabulary; the built-in rules/signals.yaml by default."""
    path = path or resources.rules_dir() / SIGNALS_FILE
    located, issues = load_yaml(path.read_bytes(), str(path))
    if located is None:
        return Vocabulary({}, issues)
    try:
        parsed = fmt.SignalFile.model_validate(located.data)
    except ValidationError as error:
        return Vocabulary({}, issues + translate(error, located, str(path), fmt.SignalFile))
    return Vocabulary(parsed.signals, issues)


# --- loading ----------------------------------------------------------------------------------


def load_pack(
    path: Path | str,
    *,
    text: str | bytes | None = None,
    vocabulary: Vocabulary | None = None,
    display: str | None = None,
) -> LoadedPack:
    """Load and check one pack. ``text`` loads from a string (tests, the README)."""
    path = Path(path)
    file = display or str(path)
    loaded = LoadedPack(file, path)
    if text is None:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                loaded.issues.append(Issue(file, 1, 1, "yaml-limits", f"the file is {size:,} bytes; a pack may be at most {MAX_BYTES:,}"))
                return loaded
            text = path.read_bytes()
        except OSError as problem:
            loaded.issues.append(Issue(file, 1, 1, "unreadable", f"cannot read the pack: {problem.strerror or problem}"))
            return loaded
    located, issues = load_yaml(text, file)
    loaded.issues.extend(issues)
    loaded.located = located
    if located is None or any(i.check in _UNSAFE for i in issues):
        return loaded  # validating what a refused document left behind only adds noise
    if not isinstance(located.data, dict):
        loaded.issues.append(Issue(file, *located.where(()), "wrong-value",
                                   f"found {describe(located.data)}; expected a pack: a mapping with id, title, rules..."))  # fmt: skip
        return loaded
    raw_rules = located.data.get("rules")
    if isinstance(raw_rules, list) and len(raw_rules) > MAX_RULES:
        loaded.issues.append(Issue(file, *located.where(("rules",)), "yaml-limits",
                                   f"the pack has {len(raw_rules):,} rules; a pack may have at most {MAX_RULES:,}",
                                   hint="split it into several packs"))  # fmt: skip
        return loaded
    header = _validate(fmt.PackHeader, located.data, located, file, (), loaded.issues)
    rules = _validate_rules(located, file, loaded.issues)
    if header is None:
        return loaded
    pack = fmt.Pack.model_construct(**{name: getattr(header, name) for name in fmt.Pack.model_fields if name != "rules"},
                                    rules=[r for r in rules if r is not None])  # fmt: skip
    loaded.pack = pack
    loaded.lists = _lists(pack, path, located, file, loaded.issues)
    if vocabulary is None:
        vocabulary = _default_vocabulary()
    from auditor.packs.lint import check_pack

    loaded.issues.extend(check_pack(pack, rules, located, file, loaded.lists, vocabulary))
    loaded.issues.sort(key=lambda i: (i.line, i.column, i.check))
    if not loaded.errors and all(r is not None for r in rules):
        loaded.compiled = compile_pack(pack, loaded.lists)
    return loaded


_VOCABULARY: Vocabulary | None = None


def _default_vocabulary() -> Vocabulary | None:
    global _VOCABULARY
    if _VOCABULARY is None:
        try:
            _VOCABULARY = load_signals()
        except (OSError, FileNotFoundError):
            return None
    return _VOCABULARY


def _validate(model: type[BaseModel], data: object, located: Located, file: str, prefix: tuple,
              issues: list[Issue]) -> Any:  # fmt: skip
    try:
        return model.model_validate(data)
    except ValidationError as error:
        issues.extend(translate(error, located, file, model, prefix))
        return None


def _validate_rules(located: Located, file: str, issues: list[Issue]) -> list[fmt.Rule | None]:
    raw = located.data.get("rules")  # type: ignore[union-attr]
    if not isinstance(raw, list):
        return []
    rules: list[fmt.Rule | None] = []
    for index, item in enumerate(raw):
        rule = _validate(fmt.Rule, item, located, file, ("rules", index), issues)
        rules.append(rule)
    return rules


def _lists(pack: fmt.Pack, path: Path, located: Located, file: str, issues: list[Issue]) -> dict[str, list]:
    """The pack's own lists plus the included list files'; a name defined twice is an error."""
    merged: dict[str, list] = {name: list(values) for name, values in pack.lists.items()}
    for index, include in enumerate(pack.include):
        where = located.where(("include", index))
        target = _include_path(include, path)
        if target is None:
            issues.append(Issue(file, *where, "include", f"cannot find the list file '{include}'",
                                hint=f"paths are relative to the pack's folder, or to {resources.rules_dir()}"))  # fmt: skip
            continue
        try:
            # Checked before reading: an include may name any .yaml file, of any size.
            size = target.stat().st_size
            if size > MAX_BYTES:
                issues.append(Issue(file, *where, "yaml-limits",
                                    f"the list file '{include}' is {size:,} bytes; a list file may be at most {MAX_BYTES:,}"))  # fmt: skip
                continue
            text = target.read_bytes()
        except OSError as problem:
            issues.append(Issue(file, *where, "include", f"cannot read the list file '{include}': {problem.strerror or problem}"))
            continue
        list_located, list_issues = load_yaml(text, str(target))
        issues.extend(list_issues)
        if list_located is None:
            continue
        try:
            parsed = fmt.ListFile.model_validate(list_located.data)
        except ValidationError as error:
            issues.extend(translate(error, list_located, str(target), fmt.ListFile))
            continue
        for name, values in parsed.lists.items():
            if name in merged:
                issues.append(Issue(file, *where, "duplicate-list", f"the list '{name}' from '{include}' is already defined"))
                continue
            merged[name] = list(values)
    return merged


def _include_path(include: str, pack_path: Path) -> Path | None:
    relative = Path(include)
    if relative.is_absolute() or relative.suffix not in (".yaml", ".yml"):
        return None
    for folder in (pack_path.parent, resources.rules_dir()):
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return None


# --- many packs ---------------------------------------------------------------------------------


def pack_files(paths: Iterable[Path]) -> list[Path]:
    """Pack files under the paths: files as given; in folders every YAML file except the
    signal vocabulary and the shared lists (``lists/``)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if candidate.suffix not in (".yaml", ".yml") or not candidate.is_file():
                    continue
                relative = candidate.relative_to(path)
                if candidate.name == SIGNALS_FILE or LISTS_DIR in relative.parts[:-1]:
                    continue
                found.append(candidate)
        else:
            found.append(path)
    return found


def builtin_packs() -> list[Path]:
    return pack_files([resources.rules_dir()])


def resolve_packs(refs: Iterable[str] | None, vocabulary: Vocabulary | None = None) -> tuple[list[LoadedPack], list[str]]:
    """Packs named on the command line: a file, a folder, or the id of a built-in pack.

    Returns the loaded packs and the refs that could not be found (with did-you-mean).
    """
    refs = list(refs or [])
    if not refs:
        # every built-in pack but examples and drafts; a pack that failed to load is kept to show its errors
        everything = [_load_unchanged(p, vocabulary) for p in builtin_packs()]
        return [lp for lp in everything if lp.pack is None or lp.pack.run_by_default], []
    builtin = {p: _load_unchanged(p, vocabulary) for p in builtin_packs()}
    by_id = {lp.pack.id: lp for lp in builtin.values() if lp.pack is not None}
    out: list[LoadedPack] = []
    unknown: list[str] = []
    for ref in refs:
        path = Path(ref)
        if path.exists():
            out.extend(_load_unchanged(p, vocabulary) for p in pack_files([path]))
        elif ref in by_id:
            out.append(by_id[ref])
        else:
            unknown.append(f"no pack file or built-in pack '{ref}'{did_you_mean(ref, by_id)}; built-in packs: {one_of(by_id)}")
    return out, unknown


@dataclass
class _Loaded:
    """A pack loaded by ``resolve_packs``, with the files it was read from as they were then."""

    files: tuple[tuple[str, int, int] | None, ...]
    vocabulary: Vocabulary | None
    loaded: LoadedPack


_LOADED: dict[str, _Loaded] = {}


def _load_unchanged(path: Path, vocabulary: Vocabulary | None) -> LoadedPack:
    """``load_pack``, reused while the pack file and the list files it includes are unchanged
    (path, size and modification time): an audit run again in one process (the TUI, a test
    session, run_audit in a loop) need not parse and check every built-in pack again."""
    key = str(path)
    entry = _LOADED.get(key)
    if entry is not None and entry.vocabulary is vocabulary and entry.files == _pack_files_now(path, entry.loaded):
        return entry.loaded
    loaded = load_pack(path, vocabulary=vocabulary)
    _LOADED[key] = _Loaded(_pack_files_now(path, loaded), vocabulary, loaded)
    return loaded


def _pack_files_now(path: Path, loaded: LoadedPack) -> tuple[tuple[str, int, int] | None, ...]:
    """The pack file and each list file it includes, as (path, size, mtime) now (None: missing)."""
    includes = loaded.pack.include if loaded.pack is not None else []
    files: list[tuple[str, int, int] | None] = []
    for target in [path, *(_include_path(include, path) for include in includes)]:
        try:
            stat = target.stat() if target is not None else None
        except OSError:
            stat = None
        files.append(None if stat is None else (str(target), stat.st_size, stat.st_mtime_ns))
    return tuple(files)


# --- pydantic errors -> issues ----------------------------------------------------------------------


_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "literal_error": "",
}


def translate(error: ValidationError, located: Located, file: str, root: type[BaseModel], prefix: tuple = ()) -> list[Issue]:
    """Pydantic's errors as located, plain-words issues; several branch errors at one place become one."""
    grouped: dict[tuple, list[dict]] = {}
    for item in error.errors(include_url=False):
        raw = tuple(item["loc"])
        path = prefix + _data_path(raw)
        grouped.setdefault(path, []).append({**item, "raw": raw})
    misspelt = {
        (path[:-1], suggestion)
        for path, items in grouped.items()
        if items[0]["type"] == "extra_forbidden"
        for suggestion in [_suggested(path[-1], _allowed_keys(root, items[0]["raw"][:-1]) or [])]
        if suggestion
    }
    issues = []
    for path, items in grouped.items():
        if items[0]["type"] == "missing" and (path[:-1], path[-1]) in misspelt:
            continue  # "unknown key 'thresold' (did you mean 'threshold'?)" already says it
        issues.append(_issue(path, items, located, file, root))
    return issues


def _suggested(found: object, choices: list[str]) -> str | None:
    hint = did_you_mean(found, choices)
    return hint.split("'")[1] if hint else None


def _data_path(loc: tuple) -> tuple:
    out = []
    for part in loc:
        if isinstance(part, str) and (part in fmt.BRANCH_TAGS or "[" in part or part in _UNION_MEMBERS):
            continue
        out.append(part)
    return tuple(out)


_UNION_MEMBERS = {"bool", "int", "float", "str", "list", "dict", "tuple", "date", "Near", "DateRange", "Tests"}


def _issue(path: tuple, items: list[dict], located: Located, file: str, root: type[BaseModel]) -> Issue:
    first = items[0]
    kind = first["type"]
    found = first.get("input")
    if kind == "extra_forbidden":
        key = path[-1]
        allowed = _allowed_keys(root, first["raw"][:-1])
        is_operator = allowed is not None and "contains" in allowed
        check = "unknown-operator" if is_operator else "unknown-key"
        what = "operator" if is_operator else "key"
        hint = ""
        if allowed and {"all", "any", "not"} & set(allowed):  # a field test beside all / any / not
            hint = "all / any / not stand alone in their mapping: put other tests inside their list"
        expected = f"; expected {one_of(allowed)}" if allowed else ""
        return Issue(file, *located.where_key(path), check, f"unknown {what} '{key}'{did_you_mean(key, allowed or [])}{expected}", hint=hint)
    if kind == "missing":
        name = path[-1]
        return Issue(file, *located.where(path[:-1]), "missing-key", f"missing the required key '{name}'")
    if kind == "union_tag_invalid" or kind == "union_tag_not_found" or kind == "condition":
        return Issue(file, *located.where(path), "wrong-value", f"found {describe(found)}; expected a condition: a mapping of field tests, or all / any / not")
    if all(item["type"] in _TYPE_WORDS for item in items) and kind != "literal_error":
        words = sorted({_TYPE_WORDS[item["type"]] for item in items if _TYPE_WORDS[item["type"]]})
        expected = " or ".join(words)
        hint = ""
        if "text" in words and isinstance(found, (int, float)) and not isinstance(found, bool):
            hint = f'quote it to keep it as text: "{found}"'
        return Issue(file, *located.where(path), "wrong-value", f"found {describe(found)}; expected {expected}", hint=hint)
    if kind == "literal_error":
        expected = first.get("ctx", {}).get("expected", "")
        choices = [c.strip(" '\"") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        return Issue(file, *located.where(path), "wrong-value",
                     f"found {describe(found)}{did_you_mean(found, choices)}; expected {expected}")  # fmt: skip
    if kind == "string_pattern_mismatch":
        return Issue(file, *located.where(path), "wrong-value",
                     f"found {describe(found)}; expected an id of lower-case letters, digits, '.', '_' or '-' (e.g. late-fees)")  # fmt: skip
    message = first["msg"].removeprefix("Value error, ")
    if kind in _CUSTOM_CHECKS:
        return Issue(file, *located.where(path), _CUSTOM_CHECKS[kind], message)
    if message.startswith("Input should be "):
        message = f"found {describe(found)}; expected {message.removeprefix('Input should be ')}"
    elif kind in ("too_short", "too_long") and isinstance(found, (list, dict)):
        message = f"found {describe(found)}; {message[0].lower()}{message[1:]}"
    return Issue(file, *located.where(path), "wrong-value", message)


def _allowed_keys(root: type[BaseModel], loc: tuple) -> list[str] | None:
    """The keys allowed in the mapping at ``loc`` (a pydantic loc, branch tags included)."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, str) and part in fmt.BRANCH_TAGS:
            current = _branch(current, part)
        elif isinstance(current, type) and issubclass(current, BaseModel):
            fields = {(f.alias or name): f for name, f in current.model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        elif typing.get_origin(current) in (list, tuple):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [(f.alias or name) for name, f in current.model_fields.items()]
    return None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _branch(union: Any, tag: str) -> Any:
    for member in typing.get_args(union):
        if typing.get_origin(member) is typing.Annotated:
            for meta in typing.get_args(member)[1:]:
                if getattr(meta, "tag", None) == tag:
                    return typing.get_args(member)[0]
    return union


def builtin_lists() -> Mapping[str, list]:
    """Every shared list in rules/lists/, by name (for tools that show them)."""
    out: dict[str, list] = {}
    folder = resources.rules_dir() / LISTS_DIR
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        located, _ = load_yaml(path.read_bytes(), str(path))
        if located is None:
            continue
        try:
            out.update(fmt.ListFile.model_validate(located.data).lists)
        except ValidationError:
            continue
    return out
