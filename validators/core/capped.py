"""Capping repeated findings: a matrix with a million bad cells gets the first few located findings per code and
one closing finding with the count, so reports stay readable and memory stays bounded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from validators.core.model import Finding

DEFAULT_CAP = 20


class CappedFindings:
    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap
        self.kept: list[Finding] = []
        self.counts: Counter[str] = Counter()
        self.first: dict[str, Finding] = {}

    def add(self, finding: Finding) -> None:
        self.counts[finding.code] += 1
        self.first.setdefault(finding.code, finding)
        if self.counts[finding.code] <= self.cap:
            self.kept.append(finding)

    def count_only(self, code: str) -> bool:
        """When `code` is past the cap, count one more finding of it and return True, so that the caller need not
        build a finding that would not be kept; otherwise count nothing and return False (the caller adds it)."""
        if self.counts[code] < self.cap:
            return False
        self.counts[code] += 1
        return True

    def __iter__(self) -> Iterator[Finding]:
        yield from self.kept
        for code, count in sorted(self.counts.items()):
            if count > self.cap:
                first = self.first[code]
                yield Finding(
                    code=code,
                    severity=first.severity,
                    message=f"{count - self.cap} more like this not shown ({count} in all)",
                    file=first.file,
                    params={"not_shown": count - self.cap, "total": count},
                )
