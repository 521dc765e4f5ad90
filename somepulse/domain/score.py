"""The 0-100 page score and its grade bands (domain.md), configured in
``somepulse/config/score.toml`` and rendered into the league-table view as SQL, so that
analysts see the same number the report prints."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from somepulse.config import config_file

DEFAULT_SCORE_FILE = config_file("score.toml")

# Lower bound of each grade (Kommunikationsanalys / Smampion bands).
GRADES: tuple[tuple[int, str], ...] = (
    (100, "perfect"),
    (95, "world class"),
    (90, "very good"),
    (80, "really good"),
    (65, "good"),
    (45, "OK"),
    (30, "not passed"),
    (0, "failed"),
)


class ScoreWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    response_rate: float = Field(3, ge=0)
    response_time: float = Field(3, ge=0)
    engagement_rate: float = Field(2, ge=0)
    dialogue_participation: float = Field(2, ge=0)
    activity: float = Field(1, ge=0)
    growth: float = Field(1, ge=0)


class ScoreTargets(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engagement_rate_7d: float = Field(0.02, gt=0)
    posts_per_day: float = Field(1.0, gt=0)
    growth_pct: float = Field(3.0, gt=0)
    response_time_zero_at: float = Field(4.0, gt=1)


class ScoreConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: ScoreWeights = ScoreWeights()
    targets: ScoreTargets = ScoreTargets()


def load_score_config(path: Path = DEFAULT_SCORE_FILE) -> ScoreConfig:
    with path.open("rb") as fh:
        return ScoreConfig.model_validate(tomllib.load(fh))


def grade(score: float) -> str:
    for bound, name in GRADES:
        if score >= bound:
            return name
    return GRADES[-1][1]


def sub_scores_sql(cfg: ScoreConfig) -> dict[str, str]:
    """Each sub-score as SQL over the league table's columns, clamped to [0, 1]."""
    t = cfg.targets
    return {
        "response_rate": "ifNull(response_rate, 1)",
        "response_time": (
            "if(median_office_minutes IS NULL, 1, least(1, greatest(0, "
            f"1 - (median_office_minutes - promise_minutes) / ({t.response_time_zero_at - 1} "
            "* promise_minutes))))"
        ),
        "engagement_rate": (f"least(1, ifNull(engagement_rate_7d, 0) / {t.engagement_rate_7d})"),
        "dialogue_participation": "if(dialogues = 0, 1, dialogues_with_page / dialogues)",
        "activity": f"least(1, posts_per_day / {t.posts_per_day})",
        "growth": f"least(1, greatest(0, ifNull(follower_growth_pct, 0) / {t.growth_pct}))",
    }


def score_sql(cfg: ScoreConfig) -> str:
    weights = cfg.weights.model_dump()
    total = sum(weights.values()) or 1.0
    parts = [f"{w} * ({sql})" for name, sql in sub_scores_sql(cfg).items() if (w := weights[name])]
    return f"round(100 * ({' + '.join(parts)}) / {total}, 1)"


def grade_sql(column: str) -> str:
    branches = ", ".join(f"{column} >= {bound}, '{name}'" for bound, name in GRADES[:-1])
    return f"multiIf({branches}, '{GRADES[-1][1]}')"
