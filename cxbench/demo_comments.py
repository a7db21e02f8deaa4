"""Demo comment texts: which text a demo response writes, by language, mood and touchpoint.

The texts are data (``demo_data/comments.csv``): per language and sentiment, generic ones
(touchpoint ``*``) and ones that belong to a touchpoint (a parcel at delivery, an invoice at
billing), so the comment themes differ by NPS group (sentiment follows the response's
satisfaction) and by touchpoint. A few texts carry personal data (``{email}``, ``{phone}``,
``{hetu}``, ``{iban}``, ``{card}``), filled from ``demo_data/personal_data.csv``, for the
masking at publish to have something to mask; tests read the same file to plant and look
for them.

A response picks uniformly among its group's candidates, where a text of its own touchpoint
counts ``TOUCHPOINT_WEIGHT`` times: one uniform draw per response, so the demo's random
streams (and every other answer) do not depend on these files.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["LANGUAGES", "SENTIMENTS", "CommentTable", "comment_table", "personal_data"]

LANGUAGES = ("fi", "en", "sv", "et")
SENTIMENTS = ("negative", "neutral", "positive")
TOUCHPOINT_WEIGHT = 3
_ANY = "*"
IntArray = npt.NDArray[np.int64]


def _rows(name: str) -> list[dict[str, str]]:
    text = (files("cxbench") / "demo_data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(keepends=True)))


@cache
def personal_data() -> dict[str, tuple[str, ...]]:
    """The planted personal data by kind (email, phone, hetu, iban, card)."""
    values: dict[str, list[str]] = {}
    for row in _rows("personal_data.csv"):
        values.setdefault(row["kind"], []).append(row["value"])
    return {kind: tuple(v) for kind, v in values.items()}


@dataclass(frozen=True)
class CommentTable:
    texts: tuple[str, ...]
    touchpoints: tuple[str, ...]  # codes with texts of their own; index len() = any other
    candidates: IntArray  # text indices, grouped by (language, sentiment, touchpoint)
    starts: IntArray  # per group: first position in ``candidates``
    sizes: IntArray  # per group: number of candidates

    def touchpoint_index(self, codes: Any) -> IntArray:
        """Group index of each touchpoint code (codes without texts of their own share one)."""
        lookup = {code: i for i, code in enumerate(self.touchpoints)}
        return np.array([lookup.get(c, len(self.touchpoints)) for c in codes], dtype=np.int64)

    def pick(
        self, language: IntArray, sentiment: IntArray, touchpoint: IntArray, uniform: Any
    ) -> IntArray:
        """Text index per response from its language (index into LANGUAGES), sentiment
        (index into SENTIMENTS), touchpoint (touchpoint_index) and a uniform draw in [0, 1)."""
        n_tp = len(self.touchpoints) + 1
        group = (language * len(SENTIMENTS) + sentiment) * n_tp + touchpoint
        offset = np.floor(uniform * self.sizes[group]).astype(np.int64)
        picked: IntArray = self.candidates[self.starts[group] + offset]
        return picked


@cache
def comment_table() -> CommentTable:
    rows = _rows("comments.csv")
    fill = personal_data()
    used: dict[str, int] = {}
    texts: list[str] = []
    for row in rows:
        text = row["text"]
        for kind, values in fill.items():
            placeholder = "{" + kind + "}"
            if placeholder in text:
                # Each text with a placeholder takes the next value of that kind in turn.
                text = text.replace(placeholder, values[used.get(kind, 0) % len(values)])
                used[kind] = used.get(kind, 0) + 1
        texts.append(text)
    touchpoints = tuple(sorted({r["touchpoint"] for r in rows} - {_ANY}))
    candidates: list[int] = []
    starts, sizes = [], []
    for language in LANGUAGES:
        for sentiment in SENTIMENTS:
            group = [
                i
                for i, r in enumerate(rows)
                if (r["language"], r["sentiment"]) == (language, sentiment)
            ]
            generic = [i for i in group if rows[i]["touchpoint"] == _ANY]
            if not generic:
                raise ValueError(f"demo comments: no generic {language} {sentiment} text")
            for touchpoint in (*touchpoints, None):
                own = [i for i in group if rows[i]["touchpoint"] == touchpoint]
                chosen = own * TOUCHPOINT_WEIGHT + generic
                starts.append(len(candidates))
                sizes.append(len(chosen))
                candidates.extend(chosen)
    return CommentTable(
        texts=tuple(texts),
        touchpoints=touchpoints,
        candidates=np.array(candidates, dtype=np.int64),
        starts=np.array(starts, dtype=np.int64),
        sizes=np.array(sizes, dtype=np.int64),
    )
