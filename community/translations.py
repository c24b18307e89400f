"""Is every string the project shows translated to German? Used by the translation-completeness test.

Finds every msgid the way `makemessages` does: templates of every project app (and the project's
`templates/`) through Django's own `templatize`, Python modules through their syntax tree
(`gettext`, `gettext_lazy`, `_`, `ngettext`, `pgettext`, ...). A msgid counts as translated when
a German catalogue of the project has a non-empty, non-fuzzy msgstr for it, or when Django or an
installed package (allauth, ...) already translates it at run time.
"""

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

GETTEXT_FUNCTIONS = {
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
PLURAL_FUNCTIONS = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}


@dataclass(frozen=True)
class Msg:
    msgid: str
    context: str
    plural: str
    where: str


def project_app_paths() -> dict[str, Path]:
    root = Path(settings.BASE_DIR).resolve()
    found = {}
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        if root in path.parents and ".venv" not in path.parts:
            found[app.label] = path
    return found


def _calls_in_tokens(source: str, where: str) -> Iterator[Msg]:
    tokens = [t for t in _safe_tokens(source) if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)]
    for index, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string not in GETTEXT_FUNCTIONS:
            continue
        if tokens[index + 1].string != "(":
            continue
        strings: list[str] = []
        position = index + 2
        current = ""
        while position < len(tokens) and tokens[position].string not in (")",):
            item = tokens[position]
            if item.type == tokenize.STRING:
                current += ast.literal_eval(item.string)
            elif item.string == ",":
                strings.append(current)
                current = ""
            position += 1
        strings.append(current)
        yield from _msg(token.string, strings, where)


def _safe_tokens(source: str) -> list[tokenize.TokenInfo]:
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            tokens.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return tokens


def _msg(function: str, args: list[str], where: str) -> Iterator[Msg]:
    context_index, msgid_index = GETTEXT_FUNCTIONS[function]
    if len(args) <= msgid_index or not args[msgid_index]:
        return
    context = args[context_index] if context_index is not None else ""
    plural = args[msgid_index + 1] if function in PLURAL_FUNCTIONS and len(args) > msgid_index + 1 else ""
    yield Msg(args[msgid_index], context, plural, where)


def template_msgids(path: Path) -> Iterator[Msg]:
    source = path.read_text(encoding="utf-8")
    yield from _calls_in_tokens(templatize(source, origin=str(path)), str(path))


def python_msgids(path: Path) -> Iterator[Msg]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in GETTEXT_FUNCTIONS:
            continue
        args = [arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "" for arg in node.args]
        yield from _msg(name, args, f"{path}:{node.lineno}")


def project_msgids(app_labels: list[str] | None = None) -> list[Msg]:
    """Every msgid of the named apps (all project apps when None) and of the project's `templates/`."""
    paths = project_app_paths()
    roots = [path for label, path in paths.items() if app_labels is None or label in app_labels]
    messages: list[Msg] = []
    for root in roots:
        for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt")):
            if "templates" in path.parts:
                messages.extend(template_msgids(path))
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            messages.extend(python_msgids(path))
    if app_labels is None:
        template_dirs: list[str] = list(settings.TEMPLATES[0]["DIRS"])  # type: ignore[call-overload]
        for directory in template_dirs:
            for path in sorted(Path(directory).rglob("*.html")) + sorted(Path(directory).rglob("*.txt")):
                messages.extend(template_msgids(path))
    return messages


def catalogue_paths() -> list[Path]:
    paths = [Path(path) / "de" / "LC_MESSAGES" / "django.po" for path in settings.LOCALE_PATHS]
    paths += [path / "locale" / "de" / "LC_MESSAGES" / "django.po" for path in project_app_paths().values()]
    return [path for path in paths if path.exists()]


def translated_in_catalogues() -> set[tuple[str, str]]:
    done: set[tuple[str, str]] = set()
    for path in catalogue_paths():
        for entry in polib.pofile(str(path)):
            if entry.obsolete or "fuzzy" in entry.flags:
                continue
            if entry.msgid_plural:
                complete = bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
            else:
                complete = bool(entry.msgstr)
            if complete:
                done.add((entry.msgctxt or "", entry.msgid))
    return done


def untranslated(app_labels: list[str] | None = None) -> list[Msg]:
    """The msgids with no German translation anywhere, in the order found."""
    done = translated_in_catalogues()
    missing: list[Msg] = []
    seen: set[tuple[str, str]] = set()
    with translation.override("de"):
        for message in project_msgids(app_labels):
            key = (message.context, message.msgid)
            if key in seen or key in done:
                continue
            seen.add(key)
            if message.context:
                runtime = translation.pgettext(message.context, message.msgid)
            else:
                runtime = translation.gettext(message.msgid)
            if runtime == message.msgid:
                missing.append(message)
    return missing
