"""Names of the profile's facts and enum values, in Japanese and English, for traces and questions."""

from __future__ import annotations

from functools import lru_cache

from programs.rounds import NATIONWIDE, PREFECTURES

__all__ = ["ENUM_LABELS", "FIELD_LABELS", "PREFECTURES", "PREFECTURE_EN", "enum_label", "field_label", "prefecture_label"]

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "as_of": ("基準日", "Reference date"),
    "applicant_type": ("申請者の種類", "Type of applicant"),
    "established_on": ("設立日・事業開始日", "Date of incorporation or start of business"),
    "employees": ("常時使用する従業員の数", "Number of regular employees"),
    "capital_yen": ("資本金（出資の総額）", "Capital (total contributions)"),
    "industry": ("主たる業種", "Main industry"),
    "large_company_shareholding": ("大企業による出資比率", "Shares held by large companies"),
    "large_company_officer_ratio": ("大企業の役員・従業員を兼ねる役員の割合", "Share of officers from a large company"),
    "wholly_owned_by_large_parent": ("資本金5億円以上の会社の完全子会社か", "Wholly owned by a company with capital ≥ ¥500M"),
    "avg_taxable_income_yen": ("直近3年の課税所得の年平均額", "Average taxable income, last 3 years"),
    "prefecture": ("本社（事業所）の都道府県", "Prefecture of the head office"),
    "phase": ("事業の段階", "Business phase"),
    "domestic_applications": ("国内で出願済みの権利", "Rights already applied for in Japan"),
    "patent_exam_status": ("特許出願の審査請求の状況", "Patent examination request status"),
    "design_application": ("意匠出願の状況", "Design application status"),
    "working_related": ("実施関連出願か（製品・サービスに使用中・使用予定）", "Relates to a product or service in use (working-related)"),
    "foreign_filings": ("予定している外国出願", "Planned foreign filings"),
    "overseas_disputes": ("海外での知財トラブル", "IP disputes abroad"),
    "litigation_insurance": ("海外知財訴訟保険への加入予定", "Overseas IP litigation insurance"),
    "prior_awards": ("今年度すでに受けた補助金", "Subsidies already granted"),
    "vc_backed": ("ベンチャーキャピタルからの出資", "Investment from a venture capital"),
    "interests": ("関心のある支援", "Interests"),
    "description": ("事業と知財の課題", "Business and IP problem"),
    "chamber_member": ("商工会議所・商工会・中小企業団体中央会の会員か", "Member of a chamber of commerce or federation"),
    "design_bulk_filing": ("複数意匠一括出願か", "Multiple designs filed in one application"),
    "company_name": ("会社名・屋号", "Company or trade name"),
    "municipality": ("本社（事業所）の市区町村", "Municipality of the head office"),
    "foreign_patent_grant_decided": ("INPIT・特許庁の外国出願補助で交付決定を受けた外国特許出願があるか",
                                     "A foreign patent application already granted INPIT / JPO filing support"),
    "foreign_procedure_pending": ("外国での審査請求・中間応答（拒絶理由への対応）が必要か",
                                  "An examination request or office-action response due abroad"),
    "patent_search_planned": ("特許調査（先行技術・侵害予防）を外部に依頼する予定か",
                              "Planning to commission a patent search (prior art or clearance)"),
    "local_site_6_months": ("その市区町村に6か月以上事業所があるか", "A site in the municipality for 6 months or more"),
}

# The prefectures' English names (the profile keeps the Japanese name; pages in English show these).
PREFECTURE_EN: tuple[str, ...] = (
    "Hokkaido", "Aomori", "Iwate", "Miyagi", "Akita", "Yamagata", "Fukushima", "Ibaraki", "Tochigi", "Gunma",
    "Saitama", "Chiba", "Tokyo", "Kanagawa", "Niigata", "Toyama", "Ishikawa", "Fukui", "Yamanashi", "Nagano",
    "Gifu", "Shizuoka", "Aichi", "Mie", "Shiga", "Kyoto", "Osaka", "Hyogo", "Nara", "Wakayama",
    "Tottori", "Shimane", "Okayama", "Hiroshima", "Yamaguchi", "Tokushima", "Kagawa", "Ehime", "Kochi", "Fukuoka",
    "Saga", "Nagasaki", "Kumamoto", "Oita", "Miyazaki", "Kagoshima", "Okinawa",
)

ENUM_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "applicant_type": {
        "corporation": ("会社・法人", "Corporation"),
        "sole_proprietor": ("個人事業主", "Sole proprietor"),
        "individual": ("個人（創業前）", "Individual (not yet in business)"),
        "university": ("大学・高専・TLO", "University, college or TLO"),
        "research_institute": ("公的研究機関", "Public research institute"),
        "vc": ("ベンチャーキャピタル", "Venture capital"),
        "accelerator": ("アクセラレーター", "Accelerator"),
        "ecosystem_builder": ("エコシステムビルダー", "Ecosystem builder"),
        "npo": ("NPO法人", "Non-profit organisation"),
        "sme_group": ("事業協同組合等（中小企業グループ）", "SME group (business cooperative)"),
        "chamber": ("商工会議所・商工会", "Chamber of commerce"),
    },
    "industry": {
        "manufacturing": ("製造業", "Manufacturing"),
        "construction": ("建設業", "Construction"),
        "transport": ("運輸業", "Transport"),
        "wholesale": ("卸売業", "Wholesale"),
        "retail": ("小売業", "Retail"),
        "services": ("サービス業", "Services"),
        "software": ("ソフトウェア業・情報処理サービス業", "Software and information services"),
        "rubber": ("ゴム製品製造業", "Rubber products"),
        "hotel": ("旅館業", "Hotels and inns"),
        "other": ("その他の業種", "Other industries"),
    },
    "phase": {
        "concept": ("事業構想フェーズ", "Business concept phase"),
        "launch": ("事業立ち上げフェーズ", "Launch phase"),
        "expansion": ("事業拡大フェーズ", "Expansion phase"),
    },
    "right": {
        "patent": ("特許", "Patent"),
        "utility_model": ("実用新案", "Utility model"),
        "design": ("意匠", "Design"),
        "trademark": ("商標", "Trademark"),
        "squatting_trademark": ("冒認対策商標", "Trademark against squatting"),
    },
    "patent_exam_status": {
        "none": ("特許出願なし", "No patent application"),
        "planned": ("出願予定", "Planned"),
        "filed": ("出願済み・審査請求前", "Filed, examination not requested"),
        "requested": ("審査請求済み・審査未着手", "Examination requested, not started"),
        "started": ("審査開始済み", "Examination started"),
    },
    "design_application": {
        "none": ("意匠出願なし", "No design application"),
        "planned": ("出願予定", "Planned"),
        "filed": ("出願済み", "Filed"),
    },
    "dispute_kind": {
        "counterfeit": ("海外での模倣品", "Counterfeits abroad"),
        "squatting": ("海外での冒認商標出願", "Trademark squatting abroad"),
        "defense": ("外国企業からの警告・訴訟", "Warned or sued by a foreign company"),
    },
    "prefecture": {ja: (ja, en) for ja, en in zip(PREFECTURES, PREFECTURE_EN, strict=True)},
    "interests": {
        "mentoring": ("メンタリング", "Mentoring"),
        "ip_strategy": ("知財戦略", "IP strategy"),
        "market_analysis": ("市場・技術動向の分析", "Market analysis"),
        "overseas": ("海外展開", "Going abroad"),
        "enforcement": ("権利行使・模倣品対策", "Enforcement"),
        "fast_examination": ("早期の権利化", "Fast examination"),
        "fee_reduction": ("手数料の軽減", "Fee reduction"),
        "financing": ("資金調達", "Financing"),
        "partnership": ("連携・オープンイノベーション", "Partnership"),
        "consultation": ("相談", "Consultation"),
    },
}



@lru_cache(maxsize=1024)
def field_label(name: str, lang: str = "ja") -> str:
    """Label of a (possibly dotted) field name.

    >>> field_label("employees")
    '常時使用する従業員の数'
    >>> field_label("litigation_insurance.renewal", "en")
    'Overseas IP litigation insurance (renewal)'
    """
    head, _, rest = name.partition(".")
    ja, en = FIELD_LABELS.get(head, (head, head))
    base = ja if lang == "ja" else en
    return f"{base}（{rest}）" if rest and lang == "ja" else (f"{base} ({rest})" if rest else base)


def enum_label(enum: str, value: str, lang: str = "ja") -> str:
    pair = ENUM_LABELS.get(enum, {}).get(value)
    if pair is None:
        return value
    return pair[0] if lang == "ja" else pair[1]


def prefecture_label(name: str | None, lang: str = "ja") -> str:
    """A prefecture in the page's language (anything else as it is).

    >>> prefecture_label("大阪府", "en"), prefecture_label("大阪府"), prefecture_label("全国", "en")
    ('Osaka', '大阪府', 'Nationwide')
    """
    if name == NATIONWIDE:
        return name if lang == "ja" else "Nationwide"
    return enum_label("prefecture", name, lang) if name else ""
