"""Metrics are data: the seeds' catalogue is the one list of metric codes.

- No model, macro, test SQL/YAML, package or API module, audit suite or bench script lists
  metric codes, or quarantine reason codes, by hand (the seeds, unit-test rows and Python
  tests' own data may).
- A consultant's own four-component index and a customer-service-satisfaction metric, with
  codes the project has never seen, are added by seed rows only — in a copy of the project —
  and a delivery for them is built by the real pipeline and served by the API.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from cxbench.api.main import create_app
from cxbench.keys import create_key
from cxbench.settings import PROJECT_DIR
from cxbench.vocabulary import quarantine_reasons
from tests.python.helpers import build_here, copy_project, project_copy_settings, skip_unit_tests

SEEDS = PROJECT_DIR / "seeds"
# Where a hand-written list of codes would be code, not data.
CHECKED = (
    "models/**/*.sql",
    "models/**/*.yml",
    "models/**/*.md",
    "macros/**/*",
    "tests/singular/*",
    "tests/generic/*",
    "cxbench/**/*.py",
    "expectations/*.json",
    "bench/**/*",
)


def catalogue_codes() -> set[str]:
    with (SEEDS / "metrics.csv").open(encoding="utf-8", newline="") as handle:
        return {row["metric_code"] for row in csv.DictReader(handle)}


def code_lists(text: str, codes: set[str]) -> list[str]:
    """Places where two codes follow each other as items of a list: `('nps', 'csat')`,
    `[nps, csat]`, `nps, csat, ces`, `nps/csat` or a YAML list with one code a line."""
    alternatives = "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
    pair = re.compile(
        rf"(?<![\w-])({alternatives})(?![\w-])"
        rf"(?:[ \t,'\"/|()\[\]]+|[ \t'\"]*\n[ \t]*-[ \t]+['\"]?)"
        rf"({alternatives})(?![\w-])"
    )
    found = []
    for match in pair.finditer(text):
        if match.group(1) != match.group(2):
            found.append(" ".join(match.group(0).split()))
    return found


def test_the_list_check_finds_a_list() -> None:
    codes = {"nps", "csat", "ces"}
    assert code_lists("where metric_code in ('nps', 'csat')", codes)
    assert code_lists("values: [nps, csat, ces]", codes)
    assert code_lists('SCALE = ("nps", "csat")', codes)
    assert code_lists("values:\n  - nps\n  - csat\n", codes)
    assert not code_lists("when metric_kind = 'nps' then 1", codes)
    assert not code_lists("nps_points and csat-like", codes)


@pytest.mark.parametrize(
    ("vocabulary", "codes"),
    [
        ("metric codes", catalogue_codes),
        ("quarantine reason codes", lambda: set(quarantine_reasons())),
    ],
)
def test_no_hand_written_list_of_codes_outside_the_seeds(
    vocabulary: str, codes: Callable[[], set[str]]
) -> None:
    problems = []
    for pattern in CHECKED:
        for path in sorted(PROJECT_DIR.glob(pattern)):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".yml" and "\nunit_tests:" in text:
                text = text[: text.index("\nunit_tests:")]  # hand-computed test rows are data
            problems += [
                f"{path.relative_to(PROJECT_DIR)}: {line}" for line in code_lists(text, codes())
            ]
    assert not problems, f"{vocabulary} listed by hand:\n" + "\n".join(problems)


# --- seed rows only: a new index and a new metric, built and served ---------------------------

CLIENT = "c901"
INDEX = "partner_index"
COMPONENTS = {  # code -> (name, consultant's weight, item level, item noise)
    "partner_relationship": ("Relationship quality", 0.4, 0.3, 0.8),
    "partner_value": ("Business value received", 0.3, -0.4, 1.1),
    "partner_expertise": ("Expertise", 0.2, 0.1, 1.6),
    "partner_development": ("Willingness to develop", 0.1, -0.8, 2.0),
}
CSS = "service_css"
QUESTIONS = {"Q_NPS": "nps", "Q_REL": "partner_relationship", "Q_VAL": "partner_value"}
QUESTIONS |= {"Q_EXP": "partner_expertise", "Q_DEV": "partner_development", "Q_CSS": CSS}
RESPONSES = 240  # 160 after a sales meeting, 80 after a service contact, in 2025-Q3


def append_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def copy_project_with_new_metrics(target: Path) -> Path:
    copy_project(target)
    seeds = target / "seeds"
    append_rows(seeds / "clients.csv", [[CLIENT, "Kumppanuus Testi Oy", "b2b_services", "FI"]])
    append_rows(
        seeds / "touchpoint_map.csv",
        [[CLIENT, "Myyntitapaaminen", "sales"], [CLIENT, "Palvelupyyntö", "customer_service"]],
    )
    append_rows(
        seeds / "metrics.csv",
        [
            [
                INDEX,
                "Partnership index",
                "weighted_index",
                "0",
                "100",
                "true",
                "true",
                "",
                "Own index",
            ]
        ]
        + [
            [code, name, "mean_norm", "0", "100", "true", "false", "", f"{name}, 0–100"]
            for code, (name, *_) in COMPONENTS.items()
        ]
        + [
            [
                CSS,
                "Service satisfaction",
                "top2box",
                "0",
                "100",
                "true",
                "true",
                "customer_service",
                "Top-2-box after a service contact",
            ]
        ],
    )
    append_rows(
        seeds / "cx_index_weights.csv",
        [[INDEX, code, str(weight)] for code, (_, weight, *_) in COMPONENTS.items()],
    )
    append_rows(
        seeds / "question_map.csv",
        [[CLIENT, "Q_NPS", "nps", "0", "10", "true"]]
        + [[CLIENT, q, m, "1", "5", "true"] for q, m in QUESTIONS.items() if m != "nps"],
    )
    return target


def deliver(landing: Path) -> dict[str, float]:
    """A CSV delivery whose items follow one latent satisfaction; returns the hand-computed
    partner index of the client (2025, all touchpoints) and its CSS top-2-box share."""
    rng = np.random.default_rng(13)
    latent = rng.normal(7.5, 1.6, RESPONSES)
    at_service = np.arange(RESPONSES) >= 160
    rows, index_scores, css_top2 = [], [], []
    total_weight = sum(w for _, w, _, _ in COMPONENTS.values())
    for i in range(RESPONSES):
        day = 1 + i % 28
        base = {
            "client_id": CLIENT,
            "response_id": f"R{i:04d}",
            "responded_at": f"2025-0{7 + i % 3}-{day:02d}T10:00:00+03:00",
            "touchpoint": "Palvelupyyntö" if at_service[i] else "Myyntitapaaminen",
        }
        nps = int(np.clip(np.rint(latent[i] + rng.normal(0, 0.7)), 0, 10))
        rows.append({**base, "question": "Q_NPS", "answer": str(nps)})
        weighted = 0.0
        for question, metric in QUESTIONS.items():
            if metric not in COMPONENTS:
                continue
            _, weight, level, noise = COMPONENTS[metric]
            item = latent[i] + level + rng.normal(0, noise)
            score = int(np.clip(np.rint(1 + 4 * item / 10), 1, 5))
            weighted += weight * 100 * (score - 1) / 4
            rows.append({**base, "question": question, "answer": str(score)})
        index_scores.append(weighted / total_weight)
        if at_service[i]:
            score = int(np.clip(np.rint(1 + 4 * (latent[i] + rng.normal(0, 0.9)) / 10), 1, 5))
            css_top2.append(100.0 if score >= 4 else 0.0)
            rows.append({**base, "question": "Q_CSS", "answer": str(score)})
    landing.mkdir(parents=True)
    with (landing / "c901_2025q3.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return {INDEX: float(np.mean(index_scores)), CSS: float(np.mean(css_top2))}


@dataclass
class Served:
    client: TestClient
    headers: dict[str, str]
    expected: dict[str, float]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("catalogue")
    project = copy_project_with_new_metrics(root / "project")
    expected = deliver(root / "landing")
    settings = project_copy_settings(root, project, root / "landing")
    skip_unit_tests(project)  # they read fixture rows, never the catalogue seeds
    record = build_here(settings)
    assert record.status == "published", record
    key = create_key(settings.keys_file, "admin")
    with TestClient(create_app(settings)) as client:
        yield Served(client, {"Authorization": f"Bearer {key}"}, expected)


def test_meta_lists_the_new_metrics_from_the_catalogue(served: Served) -> None:
    meta = served.client.get("/v1/meta", headers=served.headers).json()
    metrics = {m["metric_code"]: m for m in meta["metrics"]}
    assert metrics[INDEX]["metric_kind"] == "weighted_index"
    assert metrics[CSS]["touchpoint_code"] == "customer_service"
    for code, (name, weight, _, _) in COMPONENTS.items():
        assert metrics[code]["index_code"] == INDEX
        assert metrics[code]["index_weight"] == weight
        assert metrics[code]["metric_name"] == name and not metrics[code]["is_benchmarked"]


@pytest.mark.parametrize("metric", [INDEX, CSS])
def test_the_new_index_and_css_are_scored_and_served(served: Served, metric: str) -> None:
    response = served.client.get(
        f"/v1/clients/{CLIENT}/scorecard",
        params={"metric": metric, "period": "2025", "touchpoint": "*"},
        headers=served.headers,
    )
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["value"] == pytest.approx(served.expected[metric], abs=1e-9)
    assert item["n"] == (RESPONSES if metric == INDEX else RESPONSES - 160)


def test_the_new_components_and_css_are_drivers_of_nps(served: Served) -> None:
    response = served.client.get(
        f"/v1/clients/{CLIENT}/drivers",
        params={"period": "2025", "touchpoint": "*"},
        headers=served.headers,
    )
    assert response.status_code == 200, response.text
    items = {i["driver"]: i for i in response.json()["items"]}
    assert set(items) == {*COMPONENTS, CSS}
    for code in COMPONENTS:
        assert items[code]["index"] == INDEX and items[code]["n_pairs"] == RESPONSES
        assert 0 < items[code]["importance_ci_low"] < items[code]["importance"] < 1
    assert items[CSS]["n_pairs"] == RESPONSES - 160
    # The least noisy component follows NPS most closely.
    ranked = sorted(COMPONENTS, key=lambda c: -items[c]["importance"])
    assert ranked[0] == "partner_relationship"
    assert sorted(i["rank"] for i in items.values()) == list(range(1, len(items) + 1))
