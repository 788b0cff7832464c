"""Free-text Chinese address → the most specific division it names, or an honest "cannot place".

A pure function over an in-memory index (`AddressIndex`) built from the division table; the
selector `shouwang.geo.selectors.address_index` builds and caches it per process.

How an address is read:

1. Clean it: NFKC (full-width digits and letters), traditional characters to simplified one
   character at a time with OpenCC's table — except characters that occur in any division name,
   so 乾安县 stays 乾安县 where a whole-text conversion would write 干安县 — then drop spaces and
   punctuation.
2. Find the first division name in it (full name 湖北省, short form 湖北, autonomous-area short
   form 延边 / 延边州, a few customary forms such as 内蒙). A short form immediately followed by
   a street word (路, 街, 大道, 广场 …) is not a division: 江汉路 is a street, not 江汉区.
3. Read on while the next division name follows directly and lies below what was read so far;
   missing levels are fine (湖北洪山区). The first text that is no division name ends the
   divisions; the rest is street detail. A division name that directly follows but lies
   elsewhere (湖北省长沙市, 湖北长沙) is a contradiction: the address is not placed — unless a
   county has been read and the name is a short form, which is then street detail
   (重庆市渝中区解放碑: a landmark, not 解放区 of Jiaozuo).
4. A name several divisions share (朝阳区, 鼓楼区) is narrowed by what came before it; if more
   than one remains the result is "ambiguous" with the candidates, never one of them picked.
   Two preferences, both about how people write: a name shared by a division and a division
   below it means the higher one (吉林 → 吉林省; 辽宁朝阳 → 朝阳市, not 朝阳县), and a
   province's short name alone means the province (海南 → 海南省, not 乌海市海南区).
5. Townships and villages, when loaded, are read after a county the same way.

Confidence: each division name read counts 1.0 in full form and 0.9 in a short form (0.95 for
customary forms such as 延边州); each level above the result that the address skipped costs a
factor 0.9; a result that needed the province preference costs 0.9. The product is rounded to
two decimals.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from shouwang.geo.names import split_suffix, strip_nationalities

Status = Literal["placed", "ambiguous", "unplaced"]

FULL = 1.0
CUSTOMARY = 0.95
SHORT = 0.9
MISSING_LEVEL = 0.9
PREFERENCE = 0.9

_ADMIN_LEVELS = ("province", "prefecture", "county")
_LOCAL_LEVELS = ("township", "village")

# Customary names that no rule derives from the official one.
CUSTOMARY_ALIASES: dict[str, str] = {"内蒙": "150000"}

# Words that make the text before them a street or place name rather than a division.
STREET_WORDS: tuple[str, ...] = tuple(sorted((
    "路", "街", "道", "巷", "弄", "胡同", "里", "大道", "广场", "公园", "小区", "花园", "大厦",
    "中路", "东路", "西路", "南路", "北路", "大街", "桥", "门", "站", "机场", "码头", "港",
    "大学", "学院", "中学", "小学", "医院", "宾馆", "酒店", "饭店", "商场", "市场", "苑", "园",
    "湖", "山", "河", "江", "城", "村", "庄", "屯", "寺", "塔", "楼", "厂", "矿", "场", "所",
    "镇", "乡", "口", "坊", "湾",
), key=len, reverse=True))

_DROP = frozenset(" \t\r\n,，、.。;；:：-—_/\\|()（）[]【】<>《》\"'“”‘’#＃·")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True, slots=True)
class MatchedPart:
    text: str
    code: str | None  # None when the part still named several divisions
    score: float


@dataclass(frozen=True, slots=True)
class NormalizedAddress:
    status: Status
    code: str | None
    name: str | None
    level: str | None
    confidence: float
    reason: str = ""  # empty | empty_input | no_division | ambiguous | conflict
    matched: tuple[MatchedPart, ...] = ()
    candidates: tuple[str, ...] = ()
    rest: str = ""

    @property
    def placed(self) -> bool:
        return self.status == "placed"


Alias = tuple[str, float]  # (code, score)


@dataclass
class AddressIndex:
    """Division names and their aliases, the tree, and the traditional→simplified table."""

    entries: dict[str, IndexEntry] = field(default_factory=dict)
    aliases: dict[str, list[Alias]] = field(default_factory=dict)
    local_aliases: dict[str, dict[str, list[Alias]]] = field(default_factory=dict)
    ancestors: dict[str, frozenset[str]] = field(default_factory=dict)
    max_len: int = 0
    translate: dict[int, str] = field(default_factory=dict)

    def __init__(self, entries: Iterable[IndexEntry]) -> None:
        self.entries = {e.code: e for e in entries}
        self.aliases = {}
        self.local_aliases = {}
        self.ancestors = {}
        for e in self.entries.values():
            if e.level in _ADMIN_LEVELS:
                for alias, score in _aliases(e):
                    self.aliases.setdefault(alias, []).append((e.code, score))
            elif e.level in _LOCAL_LEVELS and e.parent:
                bucket = self.local_aliases.setdefault(e.parent, {})
                for alias, score in _aliases(e):
                    bucket.setdefault(alias, []).append((e.code, score))
        for alias, code in CUSTOMARY_ALIASES.items():
            if code in self.entries:
                self.aliases.setdefault(alias, []).append((code, CUSTOMARY))
        for code in self.entries:
            self.ancestors[code] = frozenset(self._walk_up(code))
        lengths = [len(a) for a in self.aliases]
        lengths += [len(a) for bucket in self.local_aliases.values() for a in bucket]
        self.max_len = max(lengths, default=0)
        used = {ch for e in self.entries.values() for ch in e.name}
        self.translate = {ord(t): s for t, s in _ts_characters().items() if t not in used}

    def _walk_up(self, code: str) -> list[str]:
        out: list[str] = []
        parent = self.entries[code].parent
        while parent is not None and parent in self.entries:
            out.append(parent)
            parent = self.entries[parent].parent
        return out

    def __len__(self) -> int:
        return len(self.entries)


def _aliases(e: IndexEntry) -> list[tuple[str, float]]:
    out: dict[str, float] = {e.name: FULL}

    def add(alias: str, score: float) -> None:
        if len(alias) >= 2 and alias not in out:
            out[alias] = score

    stem, suffix = split_suffix(e.name)
    if suffix and len(e.name) >= 3:
        add(stem, SHORT)
        if suffix.startswith("自治"):
            place, _ = strip_nationalities(stem)
            add(place, SHORT)
            customary = {"自治州": "州", "自治县": "县", "自治旗": "旗", "自治区": "自治区"}
            add(place + customary[suffix], CUSTOMARY)
    return list(out.items())


@lru_cache(maxsize=1)
def _ts_characters() -> dict[str, str]:
    """OpenCC's traditional→simplified character table (the first simplified reading)."""
    import opencc

    path = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            table[parts[0]] = parts[1].split(" ")[0]
    return table


def clean(text: str, index: AddressIndex) -> str:
    text = unicodedata.normalize("NFKC", text).translate(index.translate)
    return "".join(ch for ch in text if ch not in _DROP)


def _matches(s: str, pos: int, table: dict[str, list[Alias]], max_len: int
             ) -> list[tuple[str, list[Alias]]]:
    """Division names starting at `pos`, longest first, without street names."""
    out: list[tuple[str, list[Alias]]] = []
    for end in range(min(len(s), pos + max_len), pos + 1, -1):
        hits = table.get(s[pos:end])
        if hits is None:
            continue
        if (all(score < FULL for _, score in hits) and s.startswith(STREET_WORDS, end)
                and not _name_at(s, end, table, max_len)):
            # 江汉路 is a street; but 永州江华县 is 永州 followed by another division name.
            continue
        out.append((s[pos:end], hits))
    return out


def _name_at(s: str, pos: int, table: dict[str, list[Alias]], max_len: int) -> bool:
    return any(s[pos:end] in table for end in range(min(len(s), pos + max_len), pos + 1, -1))


@dataclass
class _Step:
    text: str
    candidates: set[str]
    score: float
    preferred: bool = False


def _narrow(hits: list[Alias], state: set[str] | None, index: AddressIndex
            ) -> tuple[set[str], dict[str, float]]:
    scores: dict[str, float] = {}
    for code, score in hits:
        scores[code] = max(score, scores.get(code, 0.0))
    codes = set(scores)
    if state is not None:
        below = {c for c in codes if index.ancestors[c] & state}
        # A name repeated (武汉市武汉) adds nothing; one below what was read goes deeper.
        codes = below or (codes & state)
    # A name shared by a division and one below it means the higher one.
    codes = {c for c in codes if not (index.ancestors[c] & codes)}
    return codes, scores


def normalize_address(text: str, index: AddressIndex) -> NormalizedAddress:
    """The most specific division the address names, with a confidence in [0, 1]."""
    s = clean(text or "", index)
    if not s:
        return NormalizedAddress("unplaced", None, None, None, 0.0, reason="empty_input")

    pos, steps = _first(s, index)
    if not steps:
        return NormalizedAddress("unplaced", None, None, None, 0.0, reason="no_division", rest=s)
    state = steps[0].candidates
    while pos < len(s):
        found: list[tuple[str, list[Alias]]] = []
        if len(state) == 1:
            # Below a single division, its townships (or villages) first.
            found = _matches(s, pos, index.local_aliases.get(next(iter(state)), {}),
                             index.max_len)
        found += _matches(s, pos, index.aliases, index.max_len)
        if not found:
            break
        step = None
        for alias, hits in found:
            codes, scores = _narrow(hits, state, index)
            if codes:
                step = _Step(alias, codes, min(scores[c] for c in codes))
                break
        if step is None:
            alias, hits = found[0]
            deepest = max(index.entries[c].level in _ADMIN_LEVELS[2:] or
                          index.entries[c].level in _LOCAL_LEVELS for c in state)
            if deepest and all(score < FULL for _, score in hits):
                # A short name after a county is street detail (渝中区解放碑 is no 解放区).
                break
            # A division name right after the others that lies elsewhere: a contradiction.
            return NormalizedAddress(
                "unplaced", None, None, None, 0.0, reason="conflict",
                matched=_parts([*steps, _Step(alias, set(), 0.0)]), rest=s[pos:])
        steps.append(step)
        state = step.candidates
        pos += len(step.text)

    rest = s[pos:]
    if len(state) > 1:
        return NormalizedAddress("ambiguous", None, None, None, 0.0, reason="ambiguous",
                                 matched=_parts(steps), candidates=tuple(sorted(state)), rest=rest)
    (code,) = state
    entry = index.entries[code]
    return NormalizedAddress("placed", code, entry.name, entry.level,
                             _confidence(code, steps, index), matched=_parts(steps), rest=rest)


def _first(s: str, index: AddressIndex) -> tuple[int, list[_Step]]:
    for pos in range(len(s)):
        found = _matches(s, pos, index.aliases, index.max_len)
        if not found:
            continue
        alias, hits = found[0]
        codes, scores = _narrow(hits, None, index)
        preferred = False
        provinces = {c for c in codes if index.entries[c].level == "province"}
        if len(codes) > 1 and len(provinces) == 1:
            # A province's short name alone means the province (海南 → 海南省).
            codes, preferred = provinces, True
        step = _Step(alias, codes, min(scores[c] for c in codes), preferred)
        return pos + len(alias), [step]
    return len(s), []


def _parts(steps: list[_Step]) -> tuple[MatchedPart, ...]:
    return tuple(
        MatchedPart(st.text, next(iter(st.candidates)) if len(st.candidates) == 1 else None,
                    st.score)
        for st in steps
    )


def _confidence(code: str, steps: list[_Step], index: AddressIndex) -> float:
    lineage = index.ancestors[code] | {code}
    best: dict[str, float] = {}
    confidence = 1.0
    for st in steps:
        for hit in st.candidates & lineage:
            best[hit] = max(best.get(hit, 0.0), st.score)
        if st.preferred and st.candidates & lineage:
            confidence *= PREFERENCE
    named = set(best)
    for score in best.values():
        confidence *= score
    skipped = [a for a in index.ancestors[code]
               if index.entries[a].level in _ADMIN_LEVELS and a not in named]
    confidence *= MISSING_LEVEL ** len(skipped)
    return round(max(0.0, min(1.0, confidence)), 2)
