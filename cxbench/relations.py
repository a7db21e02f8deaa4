"""Where the dbt build puts each layer, for the Python code that reads the warehouse.

The macro `generate_schema_name` (macros/dbt/) makes every schema exactly the `+schema` that
dbt_project.yml gives its folder, so these names are the configured ones, not dbt's
"<target schema>_<name>"; tests/python/test_relations.py checks they agree with the project and
with the manifest of a real build. Everything in Python that names a warehouse table builds the
name here; the marts the API reads come from the dbt exposure (cxbench.publish).
"""

from __future__ import annotations

from pathlib import Path

STAGING = "staging"
INTERMEDIATE = "intermediate"
MARTS = "marts"
REFERENCE = "reference"  # the seeds

# Where cxbench's dbt runs write their artefacts (DBT_TARGET_PATH), inside the warehouse folder.
DBT_TARGET = "dbt_target"


def dbt_manifest_path(warehouse: Path) -> Path:
    """The manifest of the warehouse's latest dbt run: nodes, their relations, the exposure."""
    return warehouse / DBT_TARGET / "manifest.json"
