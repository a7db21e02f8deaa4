"""The schema names Python uses (cxbench.relations) are the ones dbt builds.

generate_schema_name makes a schema exactly its folder's +schema; a rename in dbt_project.yml
without cxbench/relations.py (or the macro's removal) would send every Python query to a schema
that does not exist — caught here from the project file and from a real build's manifest.
"""

from __future__ import annotations

import json

import yaml

from cxbench import relations
from cxbench.build import BuildRecord
from cxbench.relations import dbt_manifest_path
from cxbench.settings import PROJECT_DIR, Settings


def test_the_schema_names_are_the_projects() -> None:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    models = project["models"]["cxbench"]
    configured = {layer: models[layer]["+schema"] for layer in ("staging", "intermediate", "marts")}
    configured["seeds"] = project["seeds"]["cxbench"]["+schema"]
    assert configured == {
        "staging": relations.STAGING,
        "intermediate": relations.INTERMEDIATE,
        "marts": relations.MARTS,
        "seeds": relations.REFERENCE,
    }


def test_the_build_puts_every_node_in_its_named_schema(built: tuple[Settings, BuildRecord]) -> None:
    settings, _ = built
    manifest = json.loads(dbt_manifest_path(settings.warehouse).read_text())
    expected = {
        "staging": relations.STAGING,
        "intermediate": relations.INTERMEDIATE,
        "marts": relations.MARTS,
    }
    schemas = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            schemas[node["name"]] = (expected[node["fqn"][1]], node["schema"])
        elif node["resource_type"] == "seed":
            schemas[node["name"]] = (relations.REFERENCE, node["schema"])
    assert schemas and all(want == got for want, got in schemas.values()), schemas
