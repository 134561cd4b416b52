"""The satisfaction survey after a call, as a pure machine: keys in, a rating (or none) out."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.flow import Survey

RATINGS = frozenset("12345")


@dataclass
class SurveyRun:
    survey: Survey
    attempts: int = 0

    def ask(self) -> bool:
        """Whether to ask (again): the first time, and once per retry after a wrong key."""
        self.attempts += 1
        return self.attempts <= self.survey.retries + 1

    @staticmethod
    def rating(digits: str) -> int | None:
        key = digits[:1]
        return int(key) if key in RATINGS else None
