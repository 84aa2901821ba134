"""Is this incoming person someone the workspace (or the file) already has?

Blocking keeps it from comparing every pair: a person is filed under the phonetic
code (jellyfish's Metaphone) of their family name and of their given name, each with
their year of birth, so transposed names and spelling variants still meet. Within a
block, rapidfuzz scores the folded names in any order; the date of birth and
aliases move the score. The reference, where both have one, decides outright.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import jellyfish
from rapidfuzz import fuzz

from .values import fold

LIKELY = 88          # at or above: likely the same person
POSSIBLE = 75        # at or above: shown as a possible match


@dataclass(frozen=True)
class Candidate:
    """A person as matching sees them: folded names, date of birth, aliases."""
    key: int                         # person id (workspace) or row number (file)
    reference: str
    given: str
    family: str
    dob: date | None
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}".strip()


@dataclass(frozen=True)
class Match:
    key: int
    score: int
    reasons: tuple[str, ...] = field(default_factory=tuple)


def candidate(key: int, reference: str, given: str, family: str, dob: date | None,
              aliases=(), preferred: str = "") -> Candidate:
    names = tuple(fold(a) for a in (*aliases, preferred) if a)
    return Candidate(key, (reference or "").strip().upper(), fold(given), fold(family), dob, names)


def _code(word: str) -> str:
    word = word.split(" ")[0] if word else ""
    return jellyfish.metaphone(word) if word else ""


def block_keys(c: Candidate) -> set[tuple[str, int | None]]:
    year = c.dob.year if c.dob else None
    keys = {(_code(c.family), year), (_code(c.given), year)}
    last = c.family.split(" ")[-1] if c.family else ""
    if last and last != c.family:
        keys.add((_code(last), year))          # "Ward Nguyen" vs "Nguyen"
    return {k for k in keys if k[0]}


def score(a: Candidate, b: Candidate) -> Match:
    if a.reference and b.reference:
        if a.reference == b.reference:
            return Match(b.key, 100, ("same reference",))
        return Match(b.key, 0, ("different reference",))
    names = fuzz.token_sort_ratio(a.name, b.name)
    reasons = []
    if a.aliases or b.aliases:
        alias_hit = max([fuzz.ratio(x, y) for x in (a.given, *a.aliases) for y in (b.given, *b.aliases)
                         if x and y] or [0])
        if alias_hit >= 90 and fuzz.ratio(a.family, b.family) >= 85:
            names = max(names, 90)
            reasons.append("alias")
    s = float(names)
    if a.dob and b.dob:
        if a.dob == b.dob:
            s = min(100.0, s + 8)
            reasons.append("same date of birth")
        elif (a.dob.day, a.dob.month, a.dob.year) == (b.dob.month, b.dob.day, b.dob.year):
            s -= 5
            reasons.append("day and month swapped")
        else:
            s = min(s, 60.0)
            reasons.append("different date of birth")
    elif a.dob or b.dob:
        s -= 6
    if names >= 95:
        reasons.insert(0, "same name")
    elif names >= 80:
        reasons.insert(0, "similar name")
    return Match(b.key, int(round(s)), tuple(reasons))


class Index:
    """Candidates filed by block key, for looking a person up without comparing all pairs."""

    def __init__(self, candidates):
        self.by_block: dict[tuple[str, int | None], list[Candidate]] = defaultdict(list)
        self.by_reference: dict[str, Candidate] = {}
        self.comparisons = 0
        for c in candidates:
            self.add(c)

    def add(self, c: Candidate) -> None:
        for k in block_keys(c):
            self.by_block[k].append(c)
        if c.reference:
            self.by_reference[c.reference] = c

    def best(self, c: Candidate, threshold: int = POSSIBLE) -> list[Match]:
        """Matches at or above ``threshold``, best first (a reference match alone if any)."""
        if c.reference and c.reference in self.by_reference:
            hit = self.by_reference[c.reference]
            if hit.key != c.key:
                return [Match(hit.key, 100, ("same reference",))]
        seen: set[int] = set()
        found: list[Match] = []
        for k in block_keys(c):
            for other in self.by_block.get(k, ()):
                if other.key in seen or other.key == c.key:
                    continue
                seen.add(other.key)
                self.comparisons += 1
                m = score(c, other)
                if m.score >= threshold:
                    found.append(m)
        found.sort(key=lambda m: (-m.score, m.key))
        return found


def duplicates_within(candidates: list[Candidate], threshold: int = LIKELY) -> dict[int, Match]:
    """For each row that likely repeats an earlier row of the same file: that earlier row."""
    index = Index([])
    out: dict[int, Match] = {}
    for c in candidates:
        matches = index.best(c, threshold)
        if matches:
            out[c.key] = matches[0]
        index.add(c)
    return out
