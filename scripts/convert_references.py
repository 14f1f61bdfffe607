"""Rewrite catalog references from seed lines / DOMAIN.md / bare URLs to source ids of programs/sources.yaml.

    .venv/bin/python scripts/convert_references.py [FILE.yaml ...]   (default: the catalog, definitions, desks)

A reference `{doc: seeds/001_….txt, loc: L3070-3130}` becomes `{source: <id>, loc: "<slide title>",
seed_loc: "001:L3070-3130"}`; `{doc: "https://…", title: …}` becomes `{source: <id>, loc: …}` when the
address is registered in programs/sources.yaml, and stays an inline public source otherwise. Only the
flow mappings are rewritten, so comments and layout are kept. Re-running it is harmless (a converted
reference has no `doc`). It refuses (exit 1) a seed or DOMAIN.md reference it cannot map, naming file
and line, so nothing unmapped slips through.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = [*sorted((ROOT / "programs" / "catalog").glob("*.yaml")),
                 ROOT / "programs" / "definitions.yaml", ROOT / "programs" / "desks.yaml"]

# Slide titles of the JPO deck (seed 001), by first line: a reference shows the slide it comes from.
DECK_SLIDES: list[tuple[int, str]] = [
    (1, "1. 知財エコシステムをめぐる現状と課題"),
    (326, "「知財で稼ぐ」実現支援パッケージ（事業フェーズと支援ツール）"),
    (387, "2. 知財エコシステム構築に向けた特許庁の取組"),
    (594, "「知財経営支援ネットワーク」を活用した地域支援体制構築"),
    (664, "知財・無形資産の投資・活用促進（知財金融事業）"),
    (725, "ベンチャーキャピタルへの知財専門家派遣事業（VC-IPAS）"),
    (852, "スタートアップに対するプッシュ型支援（PASS）"),
    (947, "大学向け知財支援施策・取組"),
    (993, "大学知財の社会実装機会を最大化するベストプラクティスの調査"),
    (1686, "知財を活用して社会課題解決を：I-OPENプロジェクト"),
    (1763, "参考資料"),
    (1975, "中企庁を加えた知財経営支援ネットワークの具体的取組"),
    (2006, "知財経営支援ネットワークの取組（知財経営支援モデル地域創出事業）"),
    (2106, "IPランドスケープ支援事業"),
    (2223, "知財戦略エキスパート"),
    (2256, "知財アクセラレーションプログラム（IPAS）"),
    (2320, "スタートアップ知財支援基盤整備事業（IP BASE）"),
    (2358, "意匠分野におけるスタートアップ向け早期審査"),
    (2390, "（参考）特許早期審査におけるスタートアップの要件"),
    (2405, "iAca（大学等の研究成果の社会実装に向けた知財支援事業）"),
    (2443, "iNat（国プロへの知財戦略プロデューサー派遣）"),
    (2481, "「OIモデル契約書」について"),
    (2508, "オープンイノベーション促進のためのマナーブック"),
    (2524, "特許審査に関する取組"),
    (3070, "（参考）令和7年度 中小企業等海外展開支援事業"),
    (3140, "国際的な取組"),
    (3218, "I-OPENプロジェクトの実績"),
]

# Items of the 知的財産推進計画2023 工程表 (seed 002), by first line.
ROADMAP_ITEMS: list[tuple[int, str]] = [
    (1, "工程表"),
    (28, "施策3（大学発スタートアップの外国出願支援）"),
    (195, "（3）スタートアップエコシステムの構築（モデル契約書の普及）"),
    (247, "施策10（スタートアップ向け知財ポータルサイト）"),
    (265, "施策11（審査段階でのプッシュ型支援）"),
    (286, "施策12（知財活用アクションプラン改定版・INPIT の一気通貫支援）"),
    (325, "施策15（ソーシャル・イノベーターへのメンタリング支援）"),
    (774, "知財金融の推進"),
    (3745, "知財ビジネス評価書・提案書（再掲）"),
]

# Seed lines of a program's own rules whose program has an official page: (first, last, source, loc).
PROGRAM_PAGES: dict[str, list[tuple[int, int, str, str]]] = {
    "foreign_filing_subsidy": [(3070, 3139, "jpo_foreign_filing_support", "海外出願支援事業")],
    "counterfeit_countermeasure": [(3070, 3139, "jetro_infringement", "模倣品対策支援事業")],
    "trademark_squatting_countermeasure": [(3070, 3139, "jetro_infringement", "冒認商標無効・取消係争支援事業")],
    "defensive_countermeasure": [(3070, 3139, "jetro_infringement", "防衛型侵害対策支援事業")],
    "inpit_foreign_filing_subsidy": [(3070, 3139, "inpit_foreign_filing", "補助対象・補助率・上限額")],
    "ip_litigation_insurance": [(3070, 3139, "meti_fy2025_budget_pr_jpo", "海外知財訴訟保険補助事業")],
    "ip_support_desk": [(1975, 2000, "inpit_chizai_portal", "よろず支援拠点との連携")],
    "fee_reduction": [(1975, 2000, "jpo_fee_reduction", "減免制度")],
    "i_open": [(1686, 1736, "i_open", "I-OPENプロジェクト")],
}
# Anywhere: the JPO startup requirements are those of the super accelerated examination.
EVERYWHERE: list[tuple[int, int, str, str]] = [(2390, 2400, "jpo_super_accelerated_startup", "スタートアップの要件")]
# The program list (sources:) cites the document the deck's table names, not the program page twice.
SOURCES_LIST: list[tuple[int, int, str, str]] = [(3070, 3139, "meti_fy2025_budget_pr_jpo", "中小企業等海外展開支援事業")]

# DOMAIN.md references: what public text each rule encodes, by file stem and DOMAIN section.
DOMAIN_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("counterfeit_countermeasure", "4"): ("jetro_infringement", "模倣品対策支援事業（対象となる係争）"),
    ("defensive_countermeasure", "4"): ("jetro_infringement", "防衛型侵害対策支援事業（対象となる係争）"),
    ("trademark_squatting_countermeasure", "4"): ("jetro_infringement", "冒認商標無効・取消係争支援事業（対象となる係争）"),
    ("fee_reduction", "4"): ("jpo_fee_reduction", "対象となる審査請求・件数"),
    ("ip_landscape_support", "4"): ("jpo_ip_ecosystem_2025", "IPランドスケープ支援事業（暫定ルール）"),
    ("inpit_foreign_filing_subsidy", "4"): ("inpit_foreign_filing", "補助上限額（大学等は上限なし）"),
    ("patent_accelerated_exam_startup", "4"): ("jpo_super_accelerated_startup", "一次審査通知までの期間"),
    ("vc_ipas", "4"): ("jpo_ip_ecosystem_2025", "ベンチャーキャピタルへの知財専門家派遣事業（VC-IPAS）"),
}
# DOMAIN.md §5 (rounding down to ¥1,000) is this service's convention for an estimate, stated on the
# program's page as 補助額; the loc says so rather than attribute the convention to the page.
ROUNDING_LOC = "補助額（見込み額は千円未満切り捨て: 本サービスの目安）"

# Registered public addresses an inline reference may be switched to, per file where one URL served
# several programs (the INPIT top page stood for the foreign filing subsidy's page).
URL_OVERRIDES: dict[tuple[str, str], str] = {
    ("inpit_foreign_filing_subsidy", "https://www.inpit.go.jp/"): "inpit_foreign_filing",
    ("counterfeit_countermeasure", "https://www.jetro.go.jp/services/ip_service_overseas_appli.html"): "jetro_infringement",
    ("defensive_countermeasure", "https://www.jetro.go.jp/services/ip_service_overseas_appli.html"): "jetro_infringement",
    ("trademark_squatting_countermeasure", "https://www.jetro.go.jp/services/ip_service_overseas_appli.html"): "jetro_infringement",
}
# Inline titles that only repeat the registered title: no loc needed.
DROP_PREFIXES = ("特許庁", "JETRO", "INPIT", "IP BASE", "公募要領", "I-OPEN", "中小企業庁", "行政事業レビュー", "商事法務")

SEED_RE = re.compile(r"seeds/(\d{3})_[0-9a-f]+\.txt$")
LINES_RE = re.compile(r"^L(\d+)(?:-(\d+))?$")


def _registry() -> tuple[dict[str, Any], dict[str, str]]:
    data = yaml.safe_load((ROOT / "programs" / "sources.yaml").read_text(encoding="utf-8"))
    sources = data["sources"]
    by_url = {s["href"]: k for k, s in sources.items()}
    return sources, by_url


def _nearest(table: list[tuple[int, str]], line: int) -> str:
    return [t for start, t in table if start <= line][-1]


def _in(rules: list[tuple[int, int, str, str]], first: int, last: int) -> tuple[str, str] | None:
    for lo, hi, src, loc in rules:
        if lo <= first and last <= hi:
            return src, loc
    return None


def _inline_loc(title: str | None, loc: str | None, registered: dict[str, Any]) -> str | None:
    """Keep what the inline title said beyond the registered title (e.g. 「みなし大企業の除外」)."""
    if loc:
        return loc
    if not title or title == registered["title"]["ja"]:
        return None
    inner = re.search(r"（([^（）]*(?:（[^（）]*）[^（）]*)*)）\s*$", title)
    if inner and title.startswith(DROP_PREFIXES):
        return inner.group(1)
    return None if title.startswith(DROP_PREFIXES) or title in registered["title"]["ja"] else title


def convert_one(ref: dict[str, Any], stem: str, in_sources_list: bool) -> dict[str, Any]:
    """The new reference for one old one; raises ValueError when it cannot be mapped."""
    sources, by_url = _registry()
    doc = str(ref.get("doc", ""))
    loc = ref.get("loc")
    title = ref.get("title")
    seed = SEED_RE.search(doc)
    if seed:
        lines = LINES_RE.match(str(loc or ""))
        if not lines:
            raise ValueError(f"seed reference without lines: {ref}")
        first = int(lines.group(1))
        last = int(lines.group(2) or first)
        seed_loc = f"{seed.group(1)}:{loc}"
        extra = {"note": title} if title else {}  # a seed reference's title was a maintainer's remark
        if seed.group(1) == "002":
            return {"source": "ip_plan_2023_roadmap", "loc": _nearest(ROADMAP_ITEMS, first), "seed_loc": seed_loc,
                    **extra}
        if seed.group(1) != "001":
            raise ValueError(f"seed {seed.group(1)} has no entry in programs/sources.yaml")
        hit = (_in(SOURCES_LIST, first, last) if in_sources_list else None) or _in(EVERYWHERE, first, last) \
            or _in(PROGRAM_PAGES.get(stem, []), first, last)
        if hit:
            return {"source": hit[0], "loc": hit[1], "seed_loc": seed_loc, **extra}
        return {"source": "jpo_ip_ecosystem_2025", "loc": _nearest(DECK_SLIDES, first), "seed_loc": seed_loc,
                **extra}
    if "DOMAIN.md" in doc:
        section = str(loc or "").split(" ")[0]
        if section == "5" and stem in PROGRAM_PAGES:
            return {"source": PROGRAM_PAGES[stem][0][2], "loc": ROUNDING_LOC}
        if (stem, section) not in DOMAIN_RULES:
            raise ValueError(f"no public source known for DOMAIN.md §{loc}")
        src, new_loc = DOMAIN_RULES[(stem, section)]
        return {"source": src, "loc": new_loc}
    if doc.startswith("https://"):
        sid = URL_OVERRIDES.get((stem, doc)) or by_url.get(doc)
        if sid is None:
            return ref  # an inline public page: accepted as it is
        new = {"source": sid}
        inline = _inline_loc(title, loc, sources[sid])
        if inline:
            new["loc"] = inline
        return new
    raise ValueError(f"not a public address, a seed or DOMAIN.md: {doc!r}")


def _flow(ref: dict[str, Any]) -> str:
    parts = []
    for key in ("source", "loc", "doc", "title", "seed_loc", "note"):
        if ref.get(key) is not None:
            parts.append(f"{key}: {yaml.safe_dump(ref[key], allow_unicode=True, default_style=None, width=1000).strip().removesuffix('...').strip()}")
    return "{" + ", ".join(parts) + "}"


def _closing(text: str, start: int) -> int:
    """Index just past the `}` closing the flow mapping that opens at text[start] == '{'."""
    depth, quote, i = 0, "", start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unclosed flow mapping")


def convert_text(text: str, stem: str, where: str = "") -> tuple[str, list[str]]:
    """The file's text with every `{doc: …}` mapping rewritten; and the problems found."""
    out, problems, pos = [], [], 0
    for m in re.finditer(r"\{\s*doc:", text):
        if m.start() < pos:
            continue
        end = _closing(text, m.start())
        raw = text[m.start():end]
        line_start = text.rfind("\n", 0, m.start()) + 1
        in_list = text[line_start:m.start()].strip() == "-"
        try:
            new = _flow(convert_one(yaml.safe_load(raw), stem, in_list))
        except ValueError as e:
            problems.append(f"{where}:{text.count(chr(10), 0, m.start()) + 1}: {e}")
            new = raw
        out += [text[pos:m.start()], new]
        pos = end
    out.append(text[pos:])
    return "".join(out), problems


def _dedupe_sources_list(text: str) -> str:
    """Two items of a `sources:` list that now name the same source and loc: keep the first."""
    seen: set[str] = set()
    lines = []
    in_list = False
    for line in text.splitlines(keepends=True):
        if re.match(r"^sources:\s*$", line):
            in_list, seen = True, set()
        elif in_list and not line.startswith((" ", "\t", "-")) and line.strip():
            in_list = False
        key = line.strip()
        if in_list and key.startswith("- {source:"):
            if key in seen:
                continue
            seen.add(key)
        lines.append(line)
    return "".join(lines)


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or DEFAULT_FILES
    problems: list[str] = []
    changed = 0
    for path in files:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        new, probs = convert_text(text, path.stem, str(path))
        new = _dedupe_sources_list(new)
        problems += probs
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{changed} file(s) rewritten, {len(problems)} reference(s) left for a person to map")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
