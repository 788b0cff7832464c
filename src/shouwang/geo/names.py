"""Division names: their generic suffix, their short forms, and their romanised (pinyin) form.

The romanisation follows the national standard for place names in its simple form: the specific
part in one capitalised word, the generic part (省, 市, 区, 县, 自治州 …) as its own word —
洪山区 → "Hongshan Qu", 延边朝鲜族自治州 → "Yanbian Chaoxianzu Zizhizhou".
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin, load_phrases_dict

# Generic parts of division names, longest first so that 自治县 wins over 县 and 新区 over 区.
SUFFIXES: tuple[str, ...] = (
    "特别行政区", "自治区", "自治州", "自治县", "自治旗", "行政委员会",
    "地区", "林区", "特区", "新区", "矿区",
    "街道", "省", "市", "区", "县", "旗", "盟", "镇", "乡",
)

SUFFIX_PINYIN: dict[str, str] = {
    "特别行政区": "Tebie Xingzhengqu", "自治区": "Zizhiqu", "自治州": "Zizhizhou",
    "自治县": "Zizhixian", "自治旗": "Zizhiqi", "行政委员会": "Xingzheng Weiyuanhui",
    "地区": "Diqu", "林区": "Linqu", "特区": "Tequ", "新区": "Xinqu", "矿区": "Kuangqu",
    "街道": "Jiedao", "省": "Sheng", "市": "Shi", "区": "Qu", "县": "Xian", "旗": "Qi",
    "盟": "Meng", "镇": "Zhen", "乡": "Xiang",
}

# The 55 minority nationalities as they appear in autonomous-area names, with and without 族
# (新疆维吾尔自治区, 伊犁哈萨克自治州 drop the 族). Longest first for greedy stripping.
_NATIONALITY_NAMES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
    "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
)
_NATIONALITIES = _NATIONALITY_NAMES.split(" ")
ETHNIC_TOKENS: tuple[str, ...] = tuple(sorted(
    {f"{n}族" for n in _NATIONALITIES} | {n for n in _NATIONALITIES if len(n) >= 2} | {"各族"},
    key=len, reverse=True,
))

# Place-name readings that the general-purpose dictionary gets wrong.
load_phrases_dict({"朝阳": [["cháo"], ["yáng"]], "单县": [["shàn"], ["xiàn"]]})


def split_suffix(name: str) -> tuple[str, str]:
    """`(specific part, generic suffix)`; the suffix is "" when the name has none we know."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def strip_nationalities(stem: str) -> tuple[str, list[str]]:
    """`(place part, nationalities)`: 延边朝鲜族 → ("延边", ["朝鲜族"]). Keeps ≥ 2 characters."""
    found: list[str] = []
    changed = True
    while changed:
        changed = False
        for token in ETHNIC_TOKENS:
            if stem.endswith(token) and len(stem) - len(token) >= 2:
                stem = stem[: -len(token)]
                found.insert(0, token)
                changed = True
                break
    return stem, found


def _word(chinese: str) -> str:
    syllables = lazy_pinyin(chinese, style=Style.NORMAL, errors="ignore")
    out = ""
    for i, s in enumerate(syllables):
        # An apostrophe where a syllable starting with a, o or e would run into the one before
        # (Xi'an, not Xian).
        if i and s[:1] in ("a", "o", "e"):
            out += "'"
        out += s
    return out.capitalize()


def romanise(name: str) -> str:
    """Pinyin for a division name: 洪山区 → "Hongshan Qu", 北京市 → "Beijing Shi"."""
    stem, suffix = split_suffix(name)
    words: list[str] = []
    if suffix.startswith("自治"):
        place, nationalities = strip_nationalities(stem)
        words.append(_word(place))
        words.extend(_word(n) for n in nationalities)
    else:
        words.append(_word(stem))
    if suffix:
        words.append(SUFFIX_PINYIN[suffix])
    return " ".join(w for w in words if w)
