"""Strict YAML loading for schema files.

PyYAML's safe loader silently keeps the last of duplicate keys, turns unquoted dates into
datetime objects and forgets where things were written. Schema files are reviewed by people, so
this loader refuses duplicate keys, leaves dates and times as strings, and remembers the line of
every mapping key and sequence item so that errors point at the right line.
"""

import yaml


class SchemaError(Exception):
    """A problem in a schema file, with its location."""

    def __init__(self, file, line, where, message):
        super().__init__(message)
        self.file = file
        self.line = line
        self.where = where
        self.message = message

    def __str__(self):
        loc = self.file or "<schemas>"
        if self.line:
            loc += f":{self.line}"
        if self.where:
            return f"{loc}: {self.where}: {self.message}"
        return f"{loc}: {self.message}"


class Mapping(dict):
    """A dict that knows the line of each key (1-based) and of itself."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {}

    def line_of(self, key):
        return self.lines.get(key, self.line)


class Sequence(list):
    """A list that knows the line of each item and of itself."""

    line = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.lines = []

    def line_of(self, index):
        return self.lines[index] if index < len(self.lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


# Keep timestamps and dates as strings: the schema decides what they mean.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    result = Mapping()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise SchemaError(None, line, None,
                              f"key {key!r} is not a string (quote it if it is meant to be one)")
        if key in result:
            raise SchemaError(None, line, None,
                              f"duplicate key '{key}' (first at line {result.lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_sequence(loader, node):
    result = Sequence()
    result.line = node.start_mark.line + 1
    for child in node.value:
        result.append(loader.construct_object(child, deep=True))
        result.lines.append(child.start_mark.line + 1)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path, label):
    """Loads one schema file; raises SchemaError naming `label` on any YAML problem."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise SchemaError(label, 0, None, f"cannot read: {e}") from e
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except SchemaError as e:
        e.file = label
        raise
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(e, "problem", None) or str(e)
        raise SchemaError(label, line, None, f"invalid YAML: {problem}") from e
    if data is None:
        raise SchemaError(label, 0, None, "the file is empty")
    if not isinstance(data, Mapping):
        raise SchemaError(label, 1, None, "the top level must be a mapping")
    return data
