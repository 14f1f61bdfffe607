"""The questionnaire's questions: facts grouped by page, their input kinds and labels (msgids, translated on render)."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility.profile import MAX_DESCRIPTION

RAW_MAX = MAX_DESCRIPTION + 1000  # longer input is cut before it is kept in the draft
FILING_ROWS = 3
DISPUTE_ROWS = 2


def N_(text: str) -> str:
    """Marks a Japanese msgid for extraction; translated when the page is rendered."""
    return text


# ------------------------------------------------------------------ the questions


@dataclass(frozen=True)
class Question:
    fact: str
    kind: str  # radio, select, text, checks, share, filings, disputes, insurance, textarea
    label: str  # Japanese msgid
    hint: str | None = None
    enum: str | None = None  # ENUM_LABELS key for the options
    parse: str | None = None  # text inputs: date, int, yen, signed_yen, percent
    unknown: bool = True  # offers 「わからない」
    extra: tuple[tuple[str, str], ...] = ()  # extra options (value, Japanese msgid), e.g. "none"
    reason: str | None = None  # why a sensitive question is asked (one line, Japanese msgid)
    only: tuple[str, ...] = ()  # the enum's values this question offers (empty: all of them)


@dataclass(frozen=True)
class Group:
    step: str
    title: str  # Japanese msgid
    questions: tuple[Question, ...]


YES_NO = (("yes", N_("はい")), ("no", N_("いいえ")))

GROUPS: tuple[Group, ...] = (
    # The first page: what every result depends on. The rest is asked only when it can still change a
    # result (app/intake/adaptive.py): a sole proprietor is never asked 資本金, a VC nothing about its size.
    Group("basics", N_("基本情報"), (
        Question("applicant_type", "radio", N_("申請者の種類"),
                 N_("会社なら「会社・法人」、個人で事業をしているなら「個人事業主」を選んでください。"),
                 enum="applicant_type"),
        Question("prefecture", "select", N_("本社（主な事業所）の都道府県")),
    )),
    Group("business", N_("事業の概要"), (
        Question("established_on", "text", N_("設立日（個人事業主は事業開始日）"),
                 N_("例: 令和3年4月1日、R3.4.1、2021-04-01（全角でも入力できます）"), parse="date"),
        Question("employees", "text", N_("常時使用する従業員の数"),
                 N_("例: 20（役員は含めません。全角の数字でも入力できます）"), parse="int"),
        Question("capital_yen", "text", N_("資本金（出資の総額）"),
                 N_("例: 1,000万円、3億円、10000000"), parse="yen"),
        Question("industry", "select", N_("主たる業種"), enum="industry"),
    )),
    # Asked only when it can change a result (municipal programs, model regions: app/intake/adaptive.py),
    # right after the page with the prefecture.
    Group("area", N_("所在地"), (
        Question("municipality", "text", N_("本社（主な事業所）の市区町村"),
                 N_("例: 岡崎市、名古屋市中区（市区町村の助成や、地域の公募期間が分かります）"), parse="municipality"),
    )),
    Group("ownership", N_("出資・役員"), (
        Question("large_company_shareholding", "share", N_("大企業による出資の割合"),
                 N_("大企業（資本金3億円を超える会社など、中小企業でない会社）が持つ株式・出資の割合を入力してください。"
                    "30、30%、3割 はいずれも30%、0.3 のように小数点のある1以下の数は比率（0.3 = 30%）です。"
                    "大企業の出資がなければ 0 です。")),
        Question("large_company_officer_ratio", "text", N_("役員のうち、大企業の役員・従業員を兼ねる人の割合（％）"),
                 N_("例: 25（25%、0.25 も同じ）。該当する人がいなければ 0"), parse="percent"),
        Question("wholly_owned_by_large_parent", "radio", N_("資本金5億円以上の会社に、直接または間接に100％出資されていますか")),
    )),
    # Its own page: for a sole proprietor it is the only question of the みなし大企業 test, and it says why it is asked.
    Group("income", N_("課税所得"), (
        Question("avg_taxable_income_yen", "text", N_("直近3年の課税所得の年平均額"),
                 N_("例: 1,800万円。赤字のときは ▲500万円 のように入力してください"), parse="signed_yen",
                 reason=N_("なぜ聞くのか: 課税所得の平均が一定額を超える事業者は「みなし大企業」として多くの補助金の対象外になるため、"
                           "その確認にだけ使います。")),
    )),
    Group("ip", N_("知財の状況"), (
        Question("domestic_applications", "checks", N_("国内ですでに出願した権利（あてはまるものをすべて）"), enum="right",
                 extra=(("none", N_("まだ国内で出願していない")),),
                 only=("patent", "utility_model", "design", "trademark")),  # 冒認対策商標 is a foreign filing only
        Question("patent_exam_status", "radio", N_("特許出願と審査請求の状況"), enum="patent_exam_status"),
        Question("design_application", "radio", N_("意匠出願の状況"), enum="design_application"),
        Question("working_related", "radio", N_("その出願は、すでに使っている（または近く使う）製品・サービスに関するものですか"),
                 N_("実施関連出願かどうかで、早期審査の対象が変わります。")),
    )),
    Group("overseas", N_("海外の予定"), (
        Question("foreign_filings", "filings", N_("外国出願の予定"),
                 N_("1つの発明・意匠・商標ごとに1件です。アメリカとヨーロッパのように複数の国に出すときも1件として、国の数を入力してください。"
                    "費用は翻訳・現地代理人を含む、すべての国の合計の見込み額です。")),
        Question("overseas_disputes", "disputes", N_("海外での知財トラブル"),
                 N_("模倣品、現地での商標の冒認出願（先取り）、外国企業からの警告・訴訟などです。")),
        Question("litigation_insurance", "insurance", N_("海外知財訴訟保険")),
    )),
    Group("vc", N_("VCからの出資"), (
        Question("vc_backed", "radio", N_("ベンチャーキャピタル（VC）から出資を受けていますか")),
    )),
    Group("final", N_("関心と事業内容"), (
        Question("interests", "checks", N_("関心のある支援（いくつでも）"), enum="interests", unknown=False),
        Question("description", "textarea", N_("事業の内容と知財の困りごと（任意）"),
                 N_("4,000字まで。個人名・連絡先や、公開前の発明の詳しい内容は書かないでください。"), unknown=False),
    )),
)

GROUP_BY_STEP = {g.step: g for g in GROUPS}
QUESTION = {q.fact: q for g in GROUPS for q in g.questions}
GROUP_OF = {q.fact: g.step for g in GROUPS for q in g.questions}
FACT_ORDER = [q.fact for g in GROUPS for q in g.questions]
FINAL = "final"
FINAL_FACTS = [q.fact for q in GROUP_BY_STEP[FINAL].questions]
FIRST = GROUPS[0]
