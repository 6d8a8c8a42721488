"""The YAML shape of a Helm template without Helm: template actions are taken out so that what is
left can be parsed and checked.

  - {{/* comments */}} disappear;
  - a line that is only `{{ include "NAME" ... | nindent N }}` becomes the mapping entry
    `__include_NAME: ""` at column N (so a check can see which helper fills a place), and a line
    that is only `{{ toYaml ... | nindent N }}` becomes `__toYaml: ""`;
  - any other line made only of actions (if, range, with, else, end, variables) is dropped;
  - an action inside a line (a value, part of a key) becomes the word TEMPLATE.

Both branches of an `if` stay, so templates must not write the same key in two branches (the
parse refuses duplicate keys)."""

import re

import yaml

COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.S)
ACTION = re.compile(r"\{\{.*?\}\}")
ONLY_ACTIONS = re.compile(r"^\s*(\{\{.*?\}\}\s*)+$")
INCLUDE_INDENTED = re.compile(r'^\s*\{\{-?\s*include\s+"([\w.]+)".*\|\s*n?indent\s+(\d+)\s*-?\}\}\s*$')
TOYAML_INDENTED = re.compile(r"^\s*\{\{-?\s*toYaml\s+.*\|\s*n?indent\s+(\d+)\s*-?\}\}\s*$")


def strip(text):
    """The template's text with its actions replaced as described above."""
    text = COMMENT.sub("", text)
    out = []
    for line in text.splitlines():
        m = INCLUDE_INDENTED.match(line)
        if m:
            out.append(" " * int(m.group(2)) + f'__include_{m.group(1)}: ""')
            continue
        m = TOYAML_INDENTED.match(line)
        if m:
            out.append(" " * int(m.group(1)) + '__toYaml: ""')
            continue
        if ONLY_ACTIONS.match(line):
            continue
        out.append(ACTION.sub("TEMPLATE", line))
    return "\n".join(out) + "\n"


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _mapping(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate keys {sorted(duplicates)}", node.start_mark)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def documents(text):
    """The YAML documents of a template, after strip(); empty documents left out."""
    return [d for d in yaml.load_all(strip(text), Loader=_UniqueKeyLoader) if d is not None]
