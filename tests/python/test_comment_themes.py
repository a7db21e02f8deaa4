"""The comment-theme lexicon and the masking of personal data, run as the build runs them.

The dbt macros (match_comment_themes, mask_personal_data) are compiled by dbt and executed on
DuckDB over test tables: the hand-labelled comments in tests/data/labelled_comments.csv
(written for this project, Finnish and English, with inflected forms and negations) and one
case per kind of personal data. No Python re-implementation of the rules is involved.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from cxbench.relations import REFERENCE
from tests.python.dbt_inline import compile_inline

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled_comments.csv"
SEEDS = ["comment_themes", "comment_theme_terms"]
MIN_PRECISION = MIN_RECALL = 0.8
THEMES_SQL = "{{ match_comment_themes('labelled', ['comment_id'], 'comment_text') }}"
MASK_SQL = "select case_id, {{ mask_personal_data('input_text') }} as masked from masking_cases"

# (case id, text with personal data, the text as it must be published)
MASKING_CASES = [
    ("email", "Vastatkaa osoitteeseen matti.meikäläinen@esimerkki.fi kiitos",
     "Vastatkaa osoitteeseen [email] kiitos"),
    ("email_plus", "Write to Jane.Doe+cx@mail.example.co.uk.", "Write to [email]."),
    ("phone_mobile", "Soittakaa numeroon 040 123 4567.", "Soittakaa numeroon [phone]."),
    ("phone_dash", "puh. 050-7654321", "puh. [phone]"),
    ("phone_international", "Call me on +358 40 765 4321 please",
     "Call me on [phone] please"),
    ("phone_00", "Numero 00358 50 111 2222", "Numero [phone]"),
    ("phone_landline", "Toimisto (09) 1234 567 ei vastaa", "Toimisto ([phone] ei vastaa"),
    ("hetu_1900", "Henkilötunnukseni on 131052-308T", "Henkilötunnukseni on [personal id]"),
    ("hetu_2000", "Lapsen tunnus 010115A123N, korjatkaa", "Lapsen tunnus [personal id], korjatkaa"),
    ("hetu_new_sign", "tunnus 020304Y9876 väärin", "tunnus [personal id] väärin"),
    ("iban_spaced", "Tilini FI21 1234 5600 0007 85, palauttakaa rahat",
     "Tilini [iban], palauttakaa rahat"),
    ("iban_compact", "Refund to FI2112345600000785 please", "Refund to [iban] please"),
    ("card_spaced", "Kortilta 4111 1111 1111 1111 veloitettiin kahdesti",
     "Kortilta [card] veloitettiin kahdesti"),
    ("card_compact", "card 5500005555555559 was charged twice", "card [card] was charged twice"),
    ("card_dashed", "kortti 4111-1111-1111-1111", "kortti [card]"),
    ("card_with_zeros", "kortti 5500-0055-5555-5559", "kortti [card]"),
    ("nothing", "Odotin 40 minuuttia 01.12.2025, lasku 120,50 € ja tilaus 2025-07-01.",
     "Odotin 40 minuuttia 01.12.2025, lasku 120,50 € ja tilaus 2025-07-01."),
]  # fmt: skip


@dataclass(frozen=True)
class Compiled:
    database: Path
    themes_sql: str
    mask_sql: str


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    database, (themes_sql, mask_sql) = compile_inline(
        tmp_path_factory.mktemp("dbt_inline"), SEEDS, [THEMES_SQL, MASK_SQL]
    )
    return Compiled(database, themes_sql, mask_sql)


def _labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def predicted(compiled: Compiled) -> dict[str, set[str]]:
    con = duckdb.connect(str(compiled.database))
    try:
        con.execute(
            "create or replace table labelled as "
            "select * from read_csv(?, header = true, all_varchar = true)",
            [str(LABELLED)],
        )
        rows = con.execute(compiled.themes_sql).fetchall()
    finally:
        con.close()
    themes: dict[str, set[str]] = {}
    for comment_id, theme in rows:
        themes.setdefault(comment_id, set()).add(theme)
    return themes


def precision_recall(
    expected: dict[str, set[str]], predicted: dict[str, set[str]]
) -> dict[str, tuple[int, int, int, float, float]]:
    """Per theme: true positives, false positives, false negatives, precision, recall."""
    counts: Counter[tuple[str, str]] = Counter()
    for comment_id, wanted in expected.items():
        got = predicted.get(comment_id, set())
        for theme in wanted | got:
            kind = "tp" if theme in wanted and theme in got else "fp" if theme in got else "fn"
            counts[(theme, kind)] += 1
    table = {}
    for theme in sorted({t for t, _ in counts}):
        tp, fp, fn = counts[(theme, "tp")], counts[(theme, "fp")], counts[(theme, "fn")]
        table[theme] = (
            tp,
            fp,
            fn,
            tp / (tp + fp) if tp + fp else 0.0,
            tp / (tp + fn) if tp + fn else 0.0,
        )
    return table


def test_the_labelled_set_is_large_bilingual_and_covers_every_theme(compiled: Compiled) -> None:
    rows = _labelled()
    assert len(rows) >= 200
    languages = Counter(row["language"] for row in rows)
    assert languages["fi"] >= 100 and languages["en"] >= 100
    assert len({row["comment_id"] for row in rows}) == len(rows)
    con = duckdb.connect(str(compiled.database), read_only=True)
    try:
        themes = {
            t
            for (t,) in con.execute(
                f"select theme_code from {REFERENCE}.comment_themes"  # noqa: S608
            ).fetchall()
        }
    finally:
        con.close()
    labelled = Counter(t for row in rows for t in row["expected_themes"].split(";"))
    assert set(labelled) == themes
    assert min(labelled.values()) >= 15


def test_every_comment_gets_a_theme_or_the_catch_all(predicted: dict[str, set[str]]) -> None:
    rows = _labelled()
    assert set(predicted) == {row["comment_id"] for row in rows}
    assert all("other" not in themes or themes == {"other"} for themes in predicted.values())


def test_precision_and_recall_of_every_theme_are_at_least_0_8(
    predicted: dict[str, set[str]],
) -> None:
    expected = {row["comment_id"]: set(row["expected_themes"].split(";")) for row in _labelled()}
    table = precision_recall(expected, predicted)
    print("\ntheme               tp  fp  fn  precision  recall")
    for theme, (tp, fp, fn, precision, recall) in table.items():
        print(f"{theme:<18} {tp:>3} {fp:>3} {fn:>3}  {precision:9.3f}  {recall:6.3f}")
    weak = {
        t: (p, r) for t, (_, _, _, p, r) in table.items() if p < MIN_PRECISION or r < MIN_RECALL
    }
    assert weak == {}, weak


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Ei tarvinnut jonottaa ollenkaan.", "waiting"),
        ("En joutunut odottamaan yhtään.", "waiting"),
        ("I didn't have to queue this time.", "waiting"),
        ("Kukaan ei ollut tyly.", "staff_friendliness"),
        ("Laskuja ei ole tullut kertaakaan väärin.", "billing"),
        ("Nobody was rude.", "staff_friendliness"),
    ],
)
def test_a_negation_keeps_the_theme(compiled: Compiled, text: str, theme: str) -> None:
    con = duckdb.connect(str(compiled.database))
    try:
        con.execute(
            "create or replace temp table labelled as select 'x' as comment_id, ? as comment_text",
            [text],
        )
        got = {t for _, t in con.execute(compiled.themes_sql).fetchall()}
    finally:
        con.close()
    assert theme in got


def test_matching_ignores_case_and_accents(compiled: Compiled) -> None:
    con = duckdb.connect(str(compiled.database))
    try:
        con.execute(
            "create or replace temp table labelled as select * from (values "
            "('a', 'YSTÄVÄLLINEN MYYJÄ'), ('b', 'ystavallinen myyja'), "
            "('c', 'Ystävällinen myyjä'), "
            "('d', 'Ihan ok')) as t(comment_id, comment_text)"
        )
        got = sorted(con.execute(compiled.themes_sql).fetchall())
    finally:
        con.close()
    assert got == [("a", "staff_friendliness"), ("b", "staff_friendliness"),
                   ("c", "staff_friendliness"), ("d", "other")]  # fmt: skip


@pytest.fixture(scope="module")
def masked(compiled: Compiled) -> dict[str, str]:
    con = duckdb.connect(str(compiled.database))
    try:
        con.execute(
            "create or replace temp table masking_cases (case_id varchar, input_text varchar)"
        )
        con.executemany(
            "insert into masking_cases values (?, ?)", [(c, text) for c, text, _ in MASKING_CASES]
        )
        return dict(con.execute(compiled.mask_sql).fetchall())
    finally:
        con.close()


@pytest.mark.parametrize(
    ("case_id", "text", "expected"), MASKING_CASES, ids=[c[0] for c in MASKING_CASES]
)
def test_personal_data_is_masked(
    masked: dict[str, str], case_id: str, text: str, expected: str
) -> None:
    assert masked[case_id] == expected


HELDOUT = LABELLED.with_name("heldout_comments.csv")
MIN_HELDOUT_MICRO = 0.8


def test_the_lexicon_generalises_to_comments_it_was_not_tuned_on(compiled: Compiled) -> None:
    """tests/data/heldout_comments.csv (40 comments) was written after the lexicon was tuned on
    the labelled set and never used to tune it: its pooled precision and recall measure what
    a new comment gets. Keep it that way — a term added to pass this set makes it worthless.
    At the time of writing: precision 0.92, recall 0.90 (misses: "homeessa", "cold and
    tasteless", "knew his stuff", "ei katsonut minuun päin", an unmentioned notice)."""
    con = duckdb.connect(str(compiled.database))
    try:
        con.execute(
            "create or replace temp table labelled as "
            "select * from read_csv(?, header = true, all_varchar = true)",
            [str(HELDOUT)],
        )
        rows = con.execute(compiled.themes_sql).fetchall()
    finally:
        con.close()
    predicted: dict[str, set[str]] = {}
    for comment_id, theme in rows:
        predicted.setdefault(comment_id, set()).add(theme)
    with HELDOUT.open(encoding="utf-8", newline="") as handle:
        expected = {
            r["comment_id"]: set(r["expected_themes"].split(";")) for r in csv.DictReader(handle)
        }
    table = precision_recall(expected, predicted)
    tp, fp, fn = (sum(v[i] for v in table.values()) for i in range(3))
    assert len(expected) >= 40
    assert tp / (tp + fp) >= MIN_HELDOUT_MICRO and tp / (tp + fn) >= MIN_HELDOUT_MICRO, table
