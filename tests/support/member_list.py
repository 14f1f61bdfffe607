"""A chamber's member list as a CSV: Japanese headings, 全角, 和暦, 万・億 (the batch CLI and the console batch)."""

from __future__ import annotations

HEAD = ["会社名", "申請者の種類", "設立日", "従業員数", "資本金", "業種", "都道府県",
        "大企業の出資比率（最大）", "大企業の出資比率（合計）", "国内出願", "審査請求の状況", "VC出資", "関心",
        "海外出願予定", "海外トラブル", "事業内容", "大企業の役員比率", "大企業の完全子会社", "課税所得（3年平均）"]
GOOD = [
    ["株式会社山田製作所", "会社・法人", "昭和53年5月1日", "２５", "１，０００万円", "製造業", "大阪府", "0%", "0%",
     "特許;意匠", "審査中", "いいえ", "海外展開", "特許:340万;意匠:80万", "", "金属加工。特許を中国へ出願したい。",
     "0%", "いいえ", "1,800万円"],
    ["合同会社ミライ技研", "会社・法人", "令和4年4月1日", "3", "300万円", "ソフトウェア業", "東京都", "0", "0",
     "特許", "審査請求前", "はい", "早期審査;資金調達", "", "", "AI画像検査ソフト", "0", "いいえ", "0"],
    ["有限会社さくら食品", "会社", "H8.10.1", "48", "500万", "製造業", "静岡", "わからない", "", "商標", "", "わからない",
     "模倣品対策", "", "模倣品:300万:現地権利あり", "台湾で模倣品", "", "", ""],
]
BAD_EMPLOYEES = ["株式会社ソラテック", "会社・法人", "令和2年4月1日", "2.5", "2,000万円", "製造業", "神奈川県", "0%", "0%",
                 "", "", "", "", "", "", "", "", "", ""]


def bad_cells_list(encoding: str = "utf-8") -> tuple[bytes, dict[int, str]]:
    """A member list whose rows 3–8 each have one bad cell (NUL, a control character, an absurd number, an
    absurd amount, undecodable bytes in the company name, then in 資本金), between good rows 2 and 9; and the
    heading whose error each bad row must report (issue 16: one bad cell fails only its row)."""
    import csv
    import io

    def row(i: int, **cells: str) -> list[str]:
        values = dict(zip(HEAD, GOOD[i % len(GOOD)], strict=True))
        values.update(cells)
        return [values[h] for h in HEAD]

    bad = {
        3: ("会社名", row(1, 会社名="株式会社\x00ヌル")),
        4: ("事業内容", row(0, 事業内容="金属\x07加工")),
        5: ("従業員数", row(0, 従業員数="9" * 5000)),
        6: ("資本金", row(1, 資本金="1e400円")),
        7: ("会社名", row(1, 会社名="@@BAD1@@")),
        8: ("資本金", row(0, 資本金="@@BAD2@@")),
    }
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEAD)
    w.writerow(GOOD[0])
    for number in sorted(bad):
        w.writerow(bad[number][1])
    w.writerow(GOOD[2])
    data = buf.getvalue().encode(encoding)
    data = data.replace(b"@@BAD1@@", b"\x83\xff\xfe\x80").replace(b"@@BAD2@@", b"\xff300\x80\x81")
    return data, {n: heading for n, (heading, _) in bad.items()}
