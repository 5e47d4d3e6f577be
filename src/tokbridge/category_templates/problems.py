"""A problem found before sending: what is wrong, where, and what the merchant should do."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Problem:
    code: str  # stable, for the API and tests: "title_too_long"
    field: str  # where in the TikTok product: "title", "skus[1].seller_sku"
    message: str  # what is wrong, with the numbers
    fix: str  # a concrete next step
    severity: Literal["error", "warning"] = "error"

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.message} {self.fix}"


def blocking(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.blocking]
