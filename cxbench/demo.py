"""Realistic, reproducible demo deliveries for the landing folder.

The pipeline has to be tried, tested and shown without real client data. A demo only helps if it
exercises what the landing contract (DESIGN §2) allows in the wild (CSV with ``,`` or ``;`` and
decimal commas, BOMs, header names in odd case, extra or missing optional columns, Parquet,
JSONL, every timestamp form, the clients' own touchpoint labels and question codes) while the
numbers behave like CX data (industry levels, client and touchpoint effects, trend, seasonality,
skipped questions). Then benchmarks, suppression and significance tests have something real to
work on.

The generator reads the seeds, so the demo always matches the registered clients. The output is
byte-identical for the same arguments: numpy PCG64 streams keyed by (seed, client, file), a
fixed 24-month window, and no wall clock. Rows are built with numpy/pyarrow per file in chunks
and written through DuckDB or pyarrow, so 10 million answers fit in well under a minute and a
few hundred MB of memory.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxbench.demo_comments import LANGUAGES, comment_table

__all__ = ["DemoSummary", "generate_demo"]

DEMO_SUBDIR = "demo"
"""Sub-folder of the landing folder that the demo owns (and wipes before writing)."""

_MARKER = ".cxbench-demo"
_STAGING = ".demo.partial"
_OLD = ".demo.old"

_FIRST_DAY = np.datetime64("2024-11-01", "D")
_N_DAYS = int((np.datetime64("2026-11-01", "D") - _FIRST_DAY).astype(int))  # 730
# One delivery per client and half-year: (year in the file name, n, first day, end day).
_WINDOWS: tuple[tuple[int, int, int, int], ...] = tuple(
    (
        year,
        n,
        int((np.datetime64(start) - _FIRST_DAY).astype(int)),
        int((np.datetime64(end) - _FIRST_DAY).astype(int)),
    )
    for year, n, start, end in (
        (2025, 1, "2024-11-01", "2025-05-01"),
        (2025, 2, "2025-05-01", "2025-11-01"),
        (2026, 1, "2025-11-01", "2026-05-01"),
        (2026, 2, "2026-05-01", "2026-11-01"),
    )
)
# Helsinki summer time (UTC+3), as local dates; responses fall between 07:00 and 23:00 local, so
# the local date alone decides the offset. Hard-coded to stay independent of the tz database.
_DST_DAYS: tuple[tuple[int, int], ...] = tuple(
    (
        int((np.datetime64(a) - _FIRST_DAY).astype(int)),
        int((np.datetime64(b) - _FIRST_DAY).astype(int)),
    )
    for a, b in (("2025-03-30", "2025-10-26"), ("2026-03-29", "2026-10-25"))
)
_DAY_SECONDS = 86_400
_CHUNK_RESPONSES = 50_000

_BASE_COLUMNS = (
    "client_id", "response_id", "responded_at", "touchpoint", "channel", "unit", "question",
    "answer",
)  # fmt: skip
_ALT_ORDER = (
    "response_id", "responded_at", "client_id", "touchpoint", "question", "answer", "channel",
    "unit",
)  # fmt: skip

# --- the statistical model ------------------------------------------------------------------
# A response has a latent satisfaction on a 0-10 scale. Every scale answer is that latent plus
# item noise, rescaled to the question's scale. The industry bases are calibrated so that the
# pooled NPS lands near typical Finnish levels (banking ≈ +25, telecom ≈ -5, grocery ≈ +35, …).
_RESPONSE_SD = 1.75
_ITEM_SD = 0.9
_INCIDENT_DROP = 3.5
_P_ANSWER_NPS = 0.97
_P_ANSWER = 0.95
_P_CXI_PARTIAL = 0.15
_P_CXI_PARTIAL_ITEM = 0.45
_P_COMMENT = 0.24
_P_COMMENT_NEGATIVE = 0.48
_EXPECTED_COMMENT_SHARE = 0.29  # what the two rates above give on average, for sizing
_P_HALF_POINT = 0.04
# Item level by the metric's kind in the catalogue (seeds/metrics.csv); the demo knows kinds,
# never metric codes, so a metric added to the seeds is asked without touching this file.
_KIND_OFFSET = {"nps": 0.0, "top2box": 0.25, "mean_rescaled": -0.3, "mean_norm": 0.0}
# Index components (cx_index_weights.csv) are key drivers of NPS: a heavier component follows
# the response's latent satisfaction more closely (item noise from _ITEM_SD at the heaviest up
# to _ITEM_SD + _COMPONENT_EXTRA_SD at weight 0), and each has its own level, spread over
# _COMPONENT_OFFSETS by a hash of its code, so importance and performance differ by component.
_COMPONENT_EXTRA_SD = 2.0
_COMPONENT_OFFSETS = (-0.9, 0.3)


@dataclass(frozen=True)
class _Industry:
    base: float  # mean latent satisfaction (0-10)
    trend: float  # latent change per year
    season_amp: float
    season_peak: float  # month (0 = January) when satisfaction peaks
    volume_amp: float
    volume_peak: float  # month when response volume peaks
    weekend: float  # weekend volume relative to a weekday
    channels: tuple[tuple[str, float], ...]
    units: str  # a unit_pool of demo_data/unit_pools.csv


# Industry profiles, channel mixes, touchpoint effects and unit names are data
# (demo_data/industry_profiles.csv, industry_channels.csv, touchpoint_effects.csv,
# unit_pools.csv); a row coded "*" is what an industry or touchpoint without a row of its own
# gets.
_DEMO_DATA = "demo_data"
_ANY = "*"


def _read_demo_table(name: str) -> list[dict[str, str]]:
    text = (files("cxbench") / _DEMO_DATA / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def _industries() -> dict[str, _Industry]:
    channels: dict[str, list[tuple[str, float]]] = {}
    for row in _read_demo_table("industry_channels.csv"):
        channels.setdefault(row["industry_code"], []).append((row["channel"], float(row["share"])))
    return {
        row["industry_code"]: _Industry(
            float(row["base"]),
            float(row["trend"]),
            float(row["season_amp"]),
            float(row["season_peak"]),
            float(row["volume_amp"]),
            float(row["volume_peak"]),
            float(row["weekend"]),
            tuple(channels[row["industry_code"]]),
            row["unit_pool"],
        )
        for row in _read_demo_table("industry_profiles.csv")
    }


def _industry(code: str) -> _Industry:
    industries = _industries()
    return industries.get(code, industries[_ANY])


@cache
def _touchpoint_effects() -> dict[str, tuple[float, float, float]]:
    """touchpoint code -> (latent shift, probability of a bad incident, relative volume)"""
    return {
        row["touchpoint_code"]: (
            float(row["latent_shift"]),
            float(row["p_incident"]),
            float(row["relative_volume"]),
        )
        for row in _read_demo_table("touchpoint_effects.csv")
    }


def _touchpoint_effect(code: str) -> tuple[float, float, float]:
    effects = _touchpoint_effects()
    return effects.get(code, effects[_ANY])


@cache
def _unit_pools() -> dict[str, tuple[str, ...]]:
    pools: dict[str, list[str]] = {}
    for row in _read_demo_table("unit_pools.csv"):
        pools.setdefault(row["unit_pool"], []).append(row["unit"])
    return {pool: tuple(units) for pool, units in pools.items()}


_LANGUAGES: dict[str, tuple[tuple[str, float], ...]] = {
    "FI": (("fi", 0.82), ("en", 0.13), ("sv", 0.05)),
    "SE": (("sv", 0.65), ("en", 0.35)),
    "EE": (("et", 0.6), ("en", 0.4)),
}
_SURVEYS = (
    "Asiakaskokemus {year}", "Customer Pulse {year}", "Palautekysely", "Transactional survey v2",
    "Asiakastyytyväisyys {year}", "CX tracker",
)  # fmt: skip
_CHANNEL_CASES: dict[str, dict[str, str]] = {
    "lower": {},
    "title": {"email": "Email", "sms": "Sms", "web": "Web", "app": "App", "phone": "Phone",
              "kiosk": "Kiosk"},
    "upper": {"email": "EMAIL", "sms": "SMS", "web": "WEB", "app": "APP", "phone": "PHONE",
              "kiosk": "KIOSK"},
    "mixed": {"email": "Email", "sms": "SMS", "web": "Web", "app": "App", "phone": "Phone",
              "kiosk": "Kiosk"},
}  # fmt: skip
# Local hour of day (07-22) when people answer.
_HOUR_WEIGHTS = np.array([2, 4, 6, 7, 7, 6, 5, 5, 5, 5, 6, 7, 7, 6, 4, 2], dtype=np.float64)
# File format by position in clients.csv: 35 % ",", 25 % ";", 20 % Parquet, 20 % JSONL.
_FORMAT_CYCLE = (
    "csv", "csv_semicolon", "parquet", "jsonl", "csv", "csv_semicolon", "csv", "parquet", "jsonl",
    "csv", "csv_semicolon", "csv", "parquet", "jsonl", "csv", "csv_semicolon", "csv", "parquet",
    "jsonl", "csv_semicolon",
)  # fmt: skip
_EXTENSIONS = {"csv": "csv", "csv_semicolon": "csv", "parquet": "parquet", "jsonl": "jsonl"}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` wrote."""

    files: int
    answers: int  # rows written in total
    clients: int
    landing_dir: Path


@dataclass(frozen=True)
class _Question:
    code: str
    metric: str
    scale_min: int
    scale_max: int
    higher_is_better: bool
    kind: str = "mean_norm"  # the metric's kind in seeds/metrics.csv
    is_component: bool = False  # an index component (cx_index_weights.csv)
    offset: float = 0.0  # item level relative to the latent
    noise_sd: float = _ITEM_SD
    touchpoint: str | None = None  # asked only after this touchpoint (e.g. CSS)

    @property
    def is_comment(self) -> bool:
        return self.kind == "comment_share"


@dataclass(frozen=True)
class _Client:
    position: int
    client_id: str
    industry: str
    country: str
    touchpoints: tuple[tuple[str, str], ...]  # (label, canonical code)
    questions: tuple[_Question, ...]


@dataclass(frozen=True)
class _Delivery:
    """How a client delivers: independent of the seed, so a client keeps its habits."""

    fmt: str
    bom: bool
    columns: tuple[str, ...]  # canonical names in output order
    header: tuple[str, ...]  # the names as written
    timestamp_style: str  # offset | utc_z | naive | date
    id_style: str  # seq | hex | num
    uses_codes: bool
    channel_case: str
    units: tuple[str, ...]
    survey_name: str
    null_channel: float


@dataclass(frozen=True)
class _Params:
    """Seed-dependent behaviour of one client."""

    size: float
    effect: float
    slope: float
    growth: float
    tp_weights: FloatArray
    tp_shift: FloatArray
    tp_incident: FloatArray
    unit_weights: FloatArray
    unit_effects: FloatArray
    channels: tuple[str, ...]
    channel_weights: FloatArray
    languages: tuple[str, ...]
    language_weights: FloatArray


@dataclass(frozen=True)
class _Plan:
    client: _Client
    delivery: _Delivery
    params: _Params
    responses: tuple[int, ...]  # per window


def generate_demo(
    landing_dir: Path,
    seeds_dir: Path,
    *,
    clients: int = 96,
    answers: int = 500_000,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write demo deliveries for the first ``clients`` seed clients into ``landing_dir/demo/``.

    ``answers`` is the approximate number of rows in total (each file holds at least one
    response, so very small totals come out higher). The folder ``landing_dir/demo`` is
    replaced as a whole; nothing else in ``landing_dir`` is touched.
    """
    landing_dir = Path(landing_dir)
    if isinstance(answers, bool) or not isinstance(answers, int) or answers < 1:
        raise ValueError(f"The number of demo answers must be a positive integer, not {answers!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"The demo seed must be a non-negative integer, not {seed!r}.")
    all_clients = _load_clients(Path(seeds_dir))
    if (
        isinstance(clients, bool)
        or not isinstance(clients, int)
        or not 1 <= clients <= len(all_clients)
    ):
        raise ValueError(
            f"The number of demo clients must be between 1 and {len(all_clients)} "
            f"(the clients in clients.csv), not {clients!r}."
        )

    demo_dir = landing_dir / DEMO_SUBDIR
    if demo_dir.exists() and not (
        demo_dir.is_dir() and ((demo_dir / _MARKER).exists() or not any(demo_dir.iterdir()))
    ):
        raise ValueError(
            f"{demo_dir} exists but was not written by cxbench demo; move it away or use another "
            "landing folder."
        )
    plans = _plan(all_clients[:clients], answers, seed)

    staging = landing_dir / _STAGING
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    total_files = len(plans) * len(_WINDOWS)
    done = rows = 0
    written: list[Path] = []
    con = duckdb.connect(":memory:")
    try:
        for plan in plans:
            folder = staging / plan.client.client_id
            folder.mkdir()
            number = 1
            for window, n_resp in enumerate(plan.responses):
                year, half, _, _ = _WINDOWS[window]
                name = f"{plan.client.client_id}_{year}_{half}.{_EXTENSIONS[plan.delivery.fmt]}"
                rng = _rng(seed, plan.client.position, window + 1)
                batches = _file_batches(plan, window, n_resp, number, rng)
                # A ".part" suffix until the end: a killed run leaves nothing a build would load.
                part = folder / f"{name}.part"
                rows += _write_file(con, part, plan.delivery, batches)
                written.append(part)
                number += n_resp
                done += 1
                if progress is not None:
                    progress(done, total_files)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a failed run leaves the old demo as it was
        raise
    finally:
        con.close()
    for part in written:
        part.rename(part.with_suffix(""))
    (staging / _MARKER).write_text(
        "Written by `cxbench demo`; this folder is replaced on every run.\n", encoding="utf-8"
    )
    old = landing_dir / _OLD
    if old.exists():
        shutil.rmtree(old)
    if demo_dir.exists():
        demo_dir.rename(old)
    staging.rename(demo_dir)
    shutil.rmtree(old, ignore_errors=True)
    return DemoSummary(files=done, answers=rows, clients=len(plans), landing_dir=landing_dir)


# --- seeds ----------------------------------------------------------------------------------


def _read_seed(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    path = seeds_dir / name
    if not path.is_file():
        raise ValueError(f"The seed file {path} does not exist.")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(handle)
        ]


def _load_metrics(seeds_dir: Path) -> dict[str, _Question]:
    """A template question per catalogue metric: its kind, level, noise and touchpoint."""
    weights: dict[str, float] = {}
    for row in _read_seed(seeds_dir, "cx_index_weights.csv"):
        weights[row["metric_code"]] = max(
            weights.get(row["metric_code"], 0.0), float(row["weight"])
        )
    heaviest = max(weights.values(), default=1.0)
    templates = {}
    low_offset, high_offset = _COMPONENT_OFFSETS
    for row in _read_seed(seeds_dir, "metrics.csv"):
        code, kind = row["metric_code"], row["metric_kind"]
        if code in weights:
            spread = (zlib.crc32(code.encode()) % 1000) / 999
            offset = low_offset + (high_offset - low_offset) * spread
            noise = _ITEM_SD + _COMPONENT_EXTRA_SD * (1 - weights[code] / heaviest)
        else:
            offset, noise = _KIND_OFFSET.get(kind, 0.0), _ITEM_SD
        templates[code] = _Question(
            "", code, 0, 0, True, kind, code in weights, offset, noise,
            row.get("touchpoint_code") or None,
        )  # fmt: skip
    return templates


def _load_clients(seeds_dir: Path) -> list[_Client]:
    metrics = _load_metrics(seeds_dir)
    touchpoints: dict[str, list[tuple[str, str]]] = {}
    for row in _read_seed(seeds_dir, "touchpoint_map.csv"):
        touchpoints.setdefault(row["client_id"], []).append(
            (row["touchpoint_label"], row["touchpoint_code"])
        )
    questions: dict[str, list[_Question]] = {}
    for row in _read_seed(seeds_dir, "question_map.csv"):
        metric = row["metric_code"]
        template = metrics.get(metric)
        if template is None or template.kind == "weighted_index":
            raise ValueError(f"question_map.csv has an unknown metric_code {metric!r}.")
        if template.is_comment:
            question = replace(template, code=row["question"])
        else:
            try:
                low, high = float(row["scale_min"]), float(row["scale_max"])
            except ValueError:
                raise ValueError(
                    f"question_map.csv has no numeric scale for {row['client_id']} "
                    f"{row['question']!r}."
                ) from None
            if not (low.is_integer() and high.is_integer() and 0 < high - low <= 1000):
                raise ValueError(
                    f"The demo needs an integer scale with scale_min < scale_max for "
                    f"{row['client_id']} {row['question']!r}."
                )
            better = row["higher_is_better"].lower() not in {"false", "f", "0", "no"}
            question = replace(
                template,
                code=row["question"],
                scale_min=int(low),
                scale_max=int(high),
                higher_is_better=better,
            )
        questions.setdefault(row["client_id"], []).append(question)
    result = []
    for position, row in enumerate(_read_seed(seeds_dir, "clients.csv")):
        client_id = row["client_id"]
        tps, qs = touchpoints.get(client_id, []), questions.get(client_id, [])
        if not tps:
            raise ValueError(f"Client {client_id} has no rows in touchpoint_map.csv.")
        if all(q.is_comment for q in qs):
            raise ValueError(f"Client {client_id} has no scale question in question_map.csv.")
        result.append(
            _Client(
                position,
                client_id,
                row["industry_code"],
                row.get("country") or "FI",
                tuple(tps),
                tuple(qs),
            )
        )
    return result


# --- planning -------------------------------------------------------------------------------


def _rng(*keys: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(keys))))


def _delivery(client: _Client) -> _Delivery:
    # Keyed by the client id, not the seed: a client keeps its file habits across seeds, and
    # the position-based format cycle makes any first N clients mix all formats.
    rng = _rng(20241101, zlib.crc32(client.client_id.encode()))
    fmt = _FORMAT_CYCLE[(client.position + client.position // 10) % len(_FORMAT_CYCLE)]
    is_csv = fmt.startswith("csv")
    industry = _industry(client.industry)
    pool = _unit_pools()[
        "SE" if client.country == "SE" else "EE" if client.country == "EE" else industry.units
    ]
    n_units = 0 if rng.random() < 0.15 else int(rng.integers(2, min(8, len(pool)) + 1))
    units = tuple(str(u) for u in rng.choice(pool, size=n_units, replace=False))
    columns: tuple[str, ...] = _ALT_ORDER if rng.random() < 0.2 else _BASE_COLUMNS
    if is_csv and not units and rng.random() < 0.5:
        columns = tuple(c for c in columns if c != "unit")  # optional column left out
    extras = rng.random()
    if extras < 0.12:
        columns = (*columns, "survey_name")
    elif extras < 0.22:
        columns = (*columns, "survey_name", "language")
    elif extras < 0.28:
        columns = (*columns, "language")
    case = str(rng.choice(["lower", "upper", "title"], p=[0.7, 0.15, 0.15])) if is_csv else "lower"
    header = tuple(_header_name(c, case) for c in columns)
    if client.position % 48 == 13:  # a couple of clients send dates only (c014, c062)
        style = "date"
    else:
        style = str(rng.choice(["offset", "utc_z", "naive"], p=[0.36, 0.32, 0.32]))
    return _Delivery(
        fmt=fmt,
        bom=is_csv and rng.random() < 0.35,
        columns=columns,
        header=header,
        timestamp_style=style,
        id_style=str(rng.choice(["seq", "hex", "num"], p=[0.5, 0.3, 0.2])),
        uses_codes=client.position % 24 == 5,  # a few send canonical codes (c006, c030, …)
        channel_case=str(rng.choice(list(_CHANNEL_CASES), p=[0.4, 0.25, 0.1, 0.25])),
        units=units,
        survey_name=_SURVEYS[int(rng.integers(len(_SURVEYS)))],
        null_channel=float(rng.choice([0.0, 0.02, 0.08])),
    )


def _header_name(column: str, case: str) -> str:
    if case == "upper":
        return column.upper()
    if case == "title":
        return "_".join("ID" if part == "id" else part.capitalize() for part in column.split("_"))
    return column


def _params(client: _Client, delivery: _Delivery, seed: int) -> _Params:
    rng = _rng(seed, client.position, 0)
    industry = _industry(client.industry)
    tp = np.array([_touchpoint_effect(code) for _, code in client.touchpoints])
    n_tp = len(client.touchpoints)
    names = np.array([c for c, _ in industry.channels])
    keep = rng.random(len(names)) > 0.3
    keep[int(rng.integers(len(names)))] = True
    channel_w = np.array([w for _, w in industry.channels])[keep] * rng.lognormal(
        0, 0.4, keep.sum()
    )
    languages = _LANGUAGES.get(client.country, _LANGUAGES["FI"])
    n_units = len(delivery.units)
    return _Params(
        size=float(rng.lognormal(0.0, 1.0)),
        effect=float(rng.normal(0.0, 0.45)),
        slope=float(rng.normal(0.0, 0.15)),
        growth=float(rng.normal(0.05, 0.15)),
        tp_weights=tp[:, 2] * rng.lognormal(0.0, 0.4, n_tp),
        tp_shift=tp[:, 0] + rng.normal(0.0, 0.25, n_tp),
        tp_incident=tp[:, 1],
        unit_weights=rng.lognormal(0.0, 0.5, n_units),
        unit_effects=rng.normal(0.0, 0.3, n_units),
        channels=tuple(str(c) for c in names[keep]),
        channel_weights=channel_w / channel_w.sum(),
        languages=tuple(lang for lang, _ in languages),
        language_weights=np.array([w for _, w in languages]),
    )


def _expected_rows(client: _Client) -> float:
    per_response = 0.0
    for q in client.questions:
        if q.kind == "nps":
            rows = _P_ANSWER_NPS
        elif q.is_component:
            rows = (1 - _P_CXI_PARTIAL) * _P_ANSWER_NPS + _P_CXI_PARTIAL * _P_CXI_PARTIAL_ITEM
        elif q.is_comment:
            rows = _EXPECTED_COMMENT_SHARE
        else:
            rows = _P_ANSWER
        if q.touchpoint is not None:
            # Asked after one touchpoint only: roughly its share of the client's touchpoints.
            asked = sum(code == q.touchpoint for _, code in client.touchpoints)
            rows *= asked / len(client.touchpoints)
        per_response += rows
    return per_response


def _cap_shares(weights: FloatArray, cap: float) -> FloatArray:
    """Lower the largest weights so that none exceeds ``cap`` of the (new) total."""
    ordered = np.sort(weights)[::-1]
    for m in range(len(ordered)):
        if cap * m >= 1:
            break
        level = cap * ordered[m:].sum() / (1 - cap * m)
        if ordered[m] <= level:
            return np.minimum(weights, level)
    return weights


def _day_weights(industry: _Industry, growth: float) -> FloatArray:
    days = _FIRST_DAY + np.arange(_N_DAYS)
    month = _month_position(days)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    season = 1 + industry.volume_amp * np.cos(2 * np.pi * (month - industry.volume_peak) / 12)
    weekend = np.where(weekday >= 5, industry.weekend, 1.0)
    trend = 1 + growth * (np.arange(_N_DAYS) - _N_DAYS / 2) / 365
    return np.clip(season * weekend * trend, 0.05, None)


def _month_position(days: npt.NDArray[np.datetime64]) -> FloatArray:
    """Month of the year as a continuous number, 0 = start of January."""
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    return np.asarray(day_of_year / 365.25 * 12, dtype=np.float64)


def _plan(clients: Sequence[_Client], answers: int, seed: int) -> list[_Plan]:
    deliveries = [_delivery(c) for c in clients]
    params = [_params(c, d, seed) for c, d in zip(clients, deliveries, strict=True)]
    sizes = np.array([p.size for p in params])
    industries = np.array([c.industry for c in clients])
    for industry in np.unique(industries):
        members = industries == industry
        cap = max(0.2, 1.25 / members.sum())
        sizes[members] = _cap_shares(sizes[members], cap)
    shares = sizes / sizes.sum()
    # Centre each client's mean latent offset (own effect, touchpoint mix, units, incidents)
    # within its industry, weighted by NPS answers: the industry level is then its base for any
    # seed and any set of clients, while clients and touchpoints still differ around it.
    effects = np.array([p.effect for p in params])
    offsets = np.array([_mean_offset(p) for p in params])
    nps_answers = np.array(
        [
            share / _expected_rows(c) * any(q.kind == "nps" for q in c.questions)
            for c, share in zip(clients, shares, strict=True)
        ]
    )
    for industry in np.unique(industries):
        members = industries == industry
        weights = nps_answers[members]
        if (weights > 0).sum() >= 3:
            effects[members] -= np.average(offsets[members], weights=weights)
    params = [replace(p, effect=float(e)) for p, e in zip(params, effects, strict=True)]
    plans = []
    for client, delivery, param, share in zip(clients, deliveries, params, shares, strict=True):
        responses = answers * share / _expected_rows(client)
        day_w = _day_weights(_industry(client.industry), param.growth)
        window_w = np.array([day_w[a:b].sum() for _, _, a, b in _WINDOWS])
        per_window = _round_preserving_sum(responses * window_w / window_w.sum())
        plans.append(_Plan(client, delivery, param, tuple(max(1, int(n)) for n in per_window)))
    return plans


def _mean_offset(params: _Params) -> float:
    """A client's expected latent shift from its industry base."""
    tp_share = params.tp_weights / params.tp_weights.sum()
    offset = params.effect + float(
        tp_share @ (params.tp_shift - _INCIDENT_DROP * params.tp_incident)
    )
    if len(params.unit_weights):
        offset += float(params.unit_weights @ params.unit_effects / params.unit_weights.sum())
    return offset


def _round_preserving_sum(values: FloatArray) -> IntArray:
    floor = np.floor(values).astype(np.int64)
    remainder = round(float(values.sum())) - int(floor.sum())
    if remainder > 0:
        floor[np.argsort(-(values - floor), kind="stable")[:remainder]] += 1
    return floor


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AnswerStrings:
    """Every answer text a client can write, so rows only carry an integer code.

    Codes from 0 are the integer scale points from ``low``, from ``half_base`` the half points
    with a decimal comma ("7,0", "7,5") from ``low``, from ``comment_base`` the comment texts.
    """

    low: int
    half_base: int
    comment_base: int
    strings: pa.Array
    json: pa.Array  # the same for JSONL: numbers bare, comments as JSON strings


def _answer_strings(questions: Sequence[_Question]) -> _AnswerStrings:
    scales = [q for q in questions if not q.is_comment]
    low = min(q.scale_min for q in scales)
    high = max(q.scale_max for q in scales)
    plain = [str(v) for v in range(low, high + 1)]
    halves = [f"{h / 2:.1f}".replace(".", ",") for h in range(2 * low, 2 * high + 1)]
    texts = list(comment_table().texts)
    comments = [json.dumps(text, ensure_ascii=False) for text in texts]
    return _AnswerStrings(
        low,
        len(plain),
        len(plain) + len(halves),
        pa.array(plain + halves + texts),
        pa.array(plain + halves + comments),
    )


def _file_batches(
    plan: _Plan, window: int, n_resp: int, first_number: int, rng: np.random.Generator
) -> Iterator[pa.RecordBatch]:
    """Rows of one delivery file, in chunks of responses sorted by time."""
    client, delivery, params = plan.client, plan.delivery, plan.params
    industry = _industry(client.industry)
    _, _, first, end = _WINDOWS[window]
    day_w = _day_weights(industry, params.growth)[first:end]
    days = first + rng.choice(end - first, size=n_resp, p=day_w / day_w.sum())
    hours = 7 + rng.choice(len(_HOUR_WEIGHTS), size=n_resp, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    local = np.sort(days * _DAY_SECONDS + hours * 3600 + rng.integers(0, 3600, size=n_resp))

    # For JSONL every value is already a JSON literal, so the writer only joins them.
    as_json = delivery.fmt == "jsonl"
    labels = _literals(
        [code if delivery.uses_codes else label for label, code in client.touchpoints], as_json
    )
    channel_map = _CHANNEL_CASES[delivery.channel_case]
    channels = _literals([channel_map.get(c, c) for c in params.channels], as_json)
    units = _literals(delivery.units, as_json)
    languages = _literals(params.languages, as_json)
    question_codes = _literals([q.code for q in client.questions], as_json)
    tp_codes = np.array([code for _, code in client.touchpoints])
    client_id = _literals([client.client_id], as_json)[0].as_py()
    survey = _literals([delivery.survey_name.format(year=_WINDOWS[window][0])], as_json)[0].as_py()
    decimal_comma = delivery.fmt == "csv_semicolon"
    strings = _answer_strings(client.questions)
    answer_texts = strings.json if as_json else strings.strings
    comment_languages = np.array([LANGUAGES.index(lang) for lang in params.languages])
    comment_touchpoints = comment_table().touchpoint_index(code for _, code in client.touchpoints)

    for start in range(0, n_resp, _CHUNK_RESPONSES):
        chunk = local[start : start + _CHUNK_RESPONSES]
        n = len(chunk)
        numbers = np.arange(first_number + start, first_number + start + n)
        tp = rng.choice(
            len(client.touchpoints), size=n, p=params.tp_weights / params.tp_weights.sum()
        )
        channel = rng.choice(len(params.channels), size=n, p=params.channel_weights)
        channel_null = rng.random(n) < delivery.null_channel
        unit = (
            rng.choice(len(units), size=n, p=params.unit_weights / params.unit_weights.sum())
            if len(units)
            else np.zeros(n, dtype=np.int64)
        )
        language = rng.choice(len(languages), size=n, p=params.language_weights)

        day = chunk // _DAY_SECONDS
        years = (day - _N_DAYS / 2) / 365
        month = _month_position(_FIRST_DAY + day)
        latent = (
            industry.base
            + params.effect
            + params.tp_shift[tp]
            + (params.unit_effects[unit] if len(units) else 0.0)
            + (industry.trend + params.slope) * years
            + industry.season_amp * np.cos(2 * np.pi * (month - industry.season_peak) / 12)
            + rng.normal(0.0, _RESPONSE_SD, n)
            - _INCIDENT_DROP * (rng.random(n) < params.tp_incident[tp])
        )
        codes, answered = _answers(
            client.questions,
            strings,
            latent,
            decimal_comma,
            comment_languages[language],
            comment_touchpoints[tp],
            rng,
        )
        for j, q in enumerate(client.questions):
            if q.touchpoint is not None:
                answered[:, j] &= tp_codes[tp] == q.touchpoint

        r_idx, q_idx = np.nonzero(answered)
        if len(r_idx) == 0:
            continue
        take_r = pa.array(r_idx)
        response_ids = _response_ids(client.client_id, numbers, delivery.id_style)
        timestamps = _timestamps(chunk, delivery.timestamp_style)
        if as_json:
            response_ids, timestamps = _json_strings(response_ids), _json_strings(timestamps)
        columns: dict[str, pa.Array] = {
            "client_id": pa.repeat(pa.scalar(client_id, pa.string()), len(r_idx)),
            "response_id": response_ids.take(take_r),
            "responded_at": timestamps.take(take_r),
            "touchpoint": labels.take(pa.array(tp[r_idx])),
            "channel": pc.if_else(
                pa.array(channel_null[r_idx]),
                pa.scalar(None, pa.string()),
                channels.take(pa.array(channel[r_idx])),
            ),
            "unit": (
                units.take(pa.array(unit[r_idx]))
                if len(units)
                else pa.nulls(len(r_idx), pa.string())
            ),
            "question": question_codes.take(pa.array(q_idx)),
            "answer": answer_texts.take(pa.array(codes[r_idx, q_idx])),
            "survey_name": pa.repeat(pa.scalar(survey, pa.string()), len(r_idx)),
            "language": languages.take(pa.array(language[r_idx])),
        }
        arrays = [columns[c] for c in delivery.columns]
        yield pa.RecordBatch.from_arrays(arrays, names=list(delivery.header))


def _literals(values: Sequence[str], as_json: bool) -> pa.Array:
    """Strings as written: plain, or as JSON string literals for JSONL."""
    if as_json:
        return pa.array([json.dumps(v, ensure_ascii=False) for v in values], type=pa.string())
    return pa.array(list(values), type=pa.string())


def _answers(
    questions: Sequence[_Question],
    strings: _AnswerStrings,
    latent: FloatArray,
    decimal_comma: bool,
    language: IntArray,
    touchpoint: IntArray,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Answer codes (index into ``strings``) and whether each question was answered.

    ``language`` indexes demo_comments.LANGUAGES and ``touchpoint`` is the comment table's
    touchpoint_index: a comment's text follows its mood, language and touchpoint."""
    n, n_q = len(latent), len(questions)
    codes = np.zeros((n, n_q), dtype=np.int64)
    answered = np.zeros((n, n_q), dtype=bool)
    partial_cxi = rng.random(n) < _P_CXI_PARTIAL
    for j, q in enumerate(questions):
        if q.is_comment:
            mood = latent + rng.normal(0.0, 0.7, n)
            sentiment = np.digitize(mood, [6.0, 8.0])  # 0 negative, 1 neutral, 2 positive
            p = np.where(sentiment == 0, _P_COMMENT_NEGATIVE, _P_COMMENT)
            answered[:, j] = rng.random(n) < p
            pick = comment_table().pick(language, sentiment, touchpoint, rng.random(n))
            codes[:, j] = strings.comment_base + pick
            continue
        item = latent + q.offset + rng.normal(0.0, q.noise_sd, n)
        low, high = q.scale_min, q.scale_max
        value = low + (high - low) * np.clip(item, 0.0, 10.0) / 10
        if not q.higher_is_better:
            value = low + high - value
        if decimal_comma and q.kind == "mean_norm" and not q.is_component:
            halves = np.where(rng.random(n) < _P_HALF_POINT, np.rint(2 * value), 2 * np.rint(value))
            halves = np.clip(halves, 2 * low, 2 * high).astype(np.int64)
            codes[:, j] = strings.half_base + halves - 2 * strings.low
        else:
            codes[:, j] = np.clip(np.rint(value), low, high).astype(np.int64) - strings.low
        if q.is_component:
            p_item = np.where(partial_cxi, _P_CXI_PARTIAL_ITEM, _P_ANSWER_NPS)
        else:
            p_item = np.full(n, _P_ANSWER_NPS if q.kind == "nps" else _P_ANSWER)
        answered[:, j] = rng.random(n) < p_item
    return codes, answered


def _response_ids(client_id: str, numbers: IntArray, style: str) -> pa.Array:
    if style == "hex":
        # Odd multipliers and xor-shifts are bijections modulo 2**40: the ids look random but
        # stay unique. uint64 wraps modulo 2**64, which 2**40 divides.
        mask = np.uint64((1 << 40) - 1)
        x = (numbers.astype(np.uint64) + np.uint64(zlib.crc32(client_id.encode()))) & mask
        x = (x * np.uint64(0x9E3779B97F4A7C15)) & mask
        x ^= x >> np.uint64(19)
        x = (x * np.uint64(0xBF58476D1CE4E5B9)) & mask
        x ^= x >> np.uint64(23)
        return pa.array([f"{v:010x}" for v in x.tolist()])
    if style == "num":
        return pa.array([str(100_000 + v) for v in numbers.tolist()])
    return pa.array([f"R-{client_id}-{v:06d}" for v in numbers.tolist()])


def _timestamps(local_seconds: IntArray, style: str) -> pa.Array:
    """``responded_at`` strings from Helsinki wall-clock seconds since _FIRST_DAY."""
    day = local_seconds // _DAY_SECONDS
    summer = np.zeros(len(day), dtype=bool)
    for a, b in _DST_DAYS:
        summer |= (day >= a) & (day < b)
    epoch = int(_FIRST_DAY.astype("datetime64[s]").astype(np.int64))
    local = pa.array(local_seconds + epoch).cast(pa.timestamp("s"))
    if style == "date":
        return pc.strftime(local, format="%Y-%m-%d")
    if style == "offset":
        offsets = pa.array(np.where(summer, "+03:00", "+02:00"))
        return pc.binary_join_element_wise(
            pc.strftime(local, format="%Y-%m-%dT%H:%M:%S"), offsets, ""
        )
    utc = pa.array(local_seconds + epoch - np.where(summer, 3, 2) * 3600).cast(pa.timestamp("s"))
    if style == "utc_z":
        return pc.strftime(utc, format="%Y-%m-%dT%H:%M:%SZ")
    return pc.strftime(utc, format="%Y-%m-%d %H:%M:%S")


# --- writing --------------------------------------------------------------------------------


def _write_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    delivery: _Delivery,
    batches: Iterator[pa.RecordBatch],
) -> int:
    """Write one delivery file and return its number of rows."""
    rows = 0

    def counted() -> Iterator[pa.RecordBatch]:
        nonlocal rows
        for batch in batches:
            rows += batch.num_rows
            yield batch

    schema = pa.schema([(name, pa.string()) for name in delivery.header])
    if delivery.fmt == "parquet":
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in counted():
                writer.write_batch(batch)
    elif delivery.fmt == "jsonl":
        with path.open("w", encoding="utf-8", newline="\n") as out:
            for batch in counted():
                out.write("\n".join(_json_lines(batch).to_pylist()))
                out.write("\n")
    else:
        # DuckDB quotes per RFC 4180 (delimiters, quotes and newlines in comments) and streams
        # the batches; it cannot write a BOM, so BOM files get one prepended.
        target = path.with_name(path.name + ".tmp") if delivery.bom else path
        reader = pa.RecordBatchReader.from_batches(schema, counted())
        sep = ";" if delivery.fmt == "csv_semicolon" else ","
        con.from_arrow(reader).write_csv(str(target), sep=sep, header=True)
        if delivery.bom:
            with path.open("wb") as bom_file, target.open("rb") as src:
                bom_file.write("\ufeff".encode())
                shutil.copyfileobj(src, bom_file, 1 << 20)
            target.unlink()
    return rows


def _json_lines(batch: pa.RecordBatch) -> pa.Array:
    """One JSON object per row from columns that already hold JSON literals."""
    parts: list[pa.Array | str] = []
    for index, name in enumerate(batch.schema.names):
        parts += ["{" if index == 0 else ",", json.dumps(name), ":"]
        parts.append(pc.fill_null(batch.column(index), "null"))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _json_strings(column: pa.Array) -> pa.Array:
    """JSON string literals (quoted and escaped) for a string column; null stays null."""
    escaped = column
    for raw, escape in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, raw, escape)
    if pc.any(pc.match_substring_regex(escaped, "[\\x00-\\x1f]")).as_py():
        values = column.to_pylist()
        return pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in values])
    return pc.binary_join_element_wise('"', escaped, '"', "")
