"""The 0-100 page score's configuration (``somepulse/config/score.toml``) and its grade
bands (domain.md). The score itself has one home, the SQL function ``{db}_score``
(``store/sql/functions.sql``), which the league-table view, the report and the board
read, so analysts see the number the report prints."""

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
    # fewer questions in a period than this: response rate and time are "insufficient
    # data", left out of the score, and the grade says "limited basis" (Meta asks ≥ 10
    # messages before it shows a page's responsiveness)
    min_questions: int = Field(10, ge=0)


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
