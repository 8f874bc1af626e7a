#!/usr/bin/env python3
"""Make kubernetes-validate's JSON schemas usable by kubeconform offline.

    convert-schemas.py INPUT_DIR OUTPUT_DIR

INPUT_DIR is one of the version directories PyPI's `kubernetes-validate`
ships, e.g. `<site-packages>/kubernetes_validate/kubernetes-json-schema/
v1.37.0-local-strict` (file names `deployment-apps-v1.json`,
`service-v1.json`, … and the shared `_definitions.json`). Each file is
copied to OUTPUT_DIR with two rewrites:

- the top-level `$id` (`https://kubernetes.io/api/…`) is dropped, so a
  relative `$ref` resolves against the file's own location, not the web;
- every `$ref` starting `/api/_definitions.json#` becomes
  `_definitions.json#`, the file beside it.

Then, for instance:

    helm template t CHART | kubeconform -strict -summary \
        -schema-location 'OUTPUT_DIR/{{.ResourceKind}}{{.KindSuffix}}.json' -

(kubeconform's `KindSuffix` is `-<group's first label>-<version>`, `-v1`
for the core group: the files' own naming.)
"""

import json
import sys
from pathlib import Path

OLD_PREFIX = "/api/_definitions.json#"
NEW_PREFIX = "_definitions.json#"


def rewrite(node):
    """Returns `node` with every `$ref` pointing at the local definitions."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(OLD_PREFIX):
                out[key] = NEW_PREFIX + value[len(OLD_PREFIX):]
            else:
                out[key] = rewrite(value)
        return out
    if isinstance(node, list):
        return [rewrite(item) for item in node]
    return node


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} INPUT_DIR OUTPUT_DIR", file=sys.stderr)
        return 2
    source, target = Path(argv[1]), Path(argv[2])
    if not (source / "_definitions.json").is_file():
        print(f"{source}: no _definitions.json, not a kubernetes-validate schema directory",
              file=sys.stderr)
        return 2
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.glob("*.json")):
        with path.open(encoding="utf-8") as file:
            schema = json.load(file)
        if isinstance(schema, dict):
            schema.pop("$id", None)
        schema = rewrite(schema)
        with (target / path.name).open("w", encoding="utf-8") as file:
            json.dump(schema, file, separators=(",", ":"))
        count += 1
    print(f"{count} schemas written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
