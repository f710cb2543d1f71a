"""The sections of the meeting pack, built from a `metrics.review.Review`: the same sections
as the Weekly review page, in every format, with their charts drawn by the same `render.charts`
builders as the page. Presentation-safe mode pseudonymises names, people and emails in every
section before anything is rendered."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from metrics import fmt, mask, review
from render import charts
from render.report.pack import Section

KPI_TITLE = "Change against the previous week (green = better)"


def movers_title(r: review.Review) -> str:
    """Return the title of the MRR movers chart of review `r` (as on the Weekly review page)."""
    return f"MRR change, {r.start - timedelta(days=1):%d %b} to {r.as_of:%d %b}"


def movers_chart(r: review.Review, movers: pd.DataFrame):
    """Return the MRR movers chart of review `r` for `movers` (its mrr_movers, masked or not),
    drawn by the builder of the Weekly review page."""
    return charts.plot_mrr_movers(movers, title=movers_title(r))


def _dates(s: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v)[:10] for v in s]


def _text_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype(object).where(df.notna(), "").astype(str)


def build(r: review.Review, masked: bool = False) -> list[Section]:
    """Return the pack's sections for review `r`, pseudonymised when `masked`."""
    names: dict = {}
    if masked:
        for f in (r.mrr_movers, r.new_churns, r.reactivations, r.detractors, r.renewals,
                  r.band_moves):
            if f is not None and "account_name" in f:
                names.update({n: 1 for n in f["account_name"].dropna()})

    def m(df):
        return mask.maybe(df, masked, names) if df is not None else None

    out = [Section("Key figures", [
        f"Week {r.week}: {r.start:%a %d %b} – {(r.end - pd.Timedelta(days=1)):%a %d %b %Y}, "
        f"against the week before. \"Real\" changes are significant at 5% (survey metrics); "
        f"the others are not tested."] + r.notes, review.kpi_display(r.kpis),
        charts.plot_kpi_changes(r.kpis, title=KPI_TITLE) if len(r.kpis) else None, "Overview",
        detail=review.detail_text(r), all_rows=True)]
    if r.health and r.band_moves is not None:
        b = m(r.band_moves)
        t = pd.DataFrame({"account": b["account_name"].fillna(b["account_id"]),
                          "before": b["band_before"], "after": b["band_after"],
                          "move": b["move"], "MRR": [fmt.value(v, "USD") for v in b["mrr"]]})
        out.append(Section("Accounts that moved band", [
            f"{(b['move'] == 'turned red').sum()} turned red, "
            f"{(b['move'] == 'recovered').sum()} recovered."], t, None, "Health"))
    else:
        out.append(Section("Accounts that moved band",
                           ["Health scores are not available yet."], None, None, "Health"))
    mv = m(r.mrr_movers)
    t = pd.DataFrame({"account": mv["account_name"].fillna(mv["account_id"]),
                      "segment": mv["segment"], "MRR before": [fmt.value(v, "USD") for v in
                                                               mv["mrr_before"]],
                      "MRR after": [fmt.value(v, "USD") for v in mv["mrr_after"]],
                      "change": [fmt.change(v, "USD") for v in mv["change"]],
                      "movement": mv["movement"]})
    out.append(Section("Largest MRR movers", [
        f"MRR on {r.start - pd.Timedelta(days=1):%d %b} against {r.as_of:%d %b}."
        if len(mv) else "No account's MRR changed this week."], t,
        movers_chart(r, mv) if len(mv) else None, "Overview",
        slide_columns=["account", "change", "movement"]))
    ch, re_ = m(r.new_churns), m(r.reactivations)
    t = pd.concat([
        pd.DataFrame({"event": "churned", "account": ch["account_name"].fillna(
            ch["account_id"]), "segment": ch["segment"], "CSM": ch["csm_owner"],
            "date or MRR": _dates(ch["churn_date"])}),
        pd.DataFrame({"event": "reactivated", "account": re_["account_name"].fillna(
            re_["account_id"]), "segment": re_["segment"], "CSM": re_["csm_owner"],
            "date or MRR": [fmt.value(v, "USD") for v in re_["mrr_after"]]}),
    ], ignore_index=True)
    out.append(Section("New churns and reactivations", [
        f"{fmt.plural(len(ch), 'account')} churned "
        f"({fmt.value(ch['mrr_before'].sum(), 'USD')} MRR before the week); "
        f"{len(re_)} reactivated."], t, None, "Overview"))
    d = m(r.detractors)
    t = pd.DataFrame({"when": [str(v)[:16] for v in d["responded_at"]],
                      "account": d["account_name"].fillna(d["account_id"]),
                      "respondent": d["respondent"], "score": d["score"],
                      "comment": d["comment"]})
    out.append(Section("New detractors",
                       [f"{fmt.plural(len(d), 'NPS answer')} from 0 to 6 this week."],
                       t, None, "Satisfaction"))
    rn = m(r.renewals)
    t = pd.DataFrame({"account": rn["account_name"].fillna(rn["account_id"]),
                      "renews on": _dates(rn["renewal_date"]), "in days": rn["days_to"],
                      "within": rn["due_within"], "MRR": [fmt.value(v, "USD") for v in rn["mrr"]],
                      "health": rn["band"] if r.health else "not available yet"})
    out.append(Section("Renewals due in the next 30 / 60 / 90 days", [review.renewals_line(r)],
                       t, None, "Retention"))
    al = r.alerts
    t = pd.DataFrame({"rule": al.get("rule_name", pd.Series(dtype=object)),
                      "data day": _dates(al.get("as_of", pd.Series(dtype=object))),
                      "value": [fmt.value(v, "") for v in al.get("value", [])],
                      "threshold": [fmt.value(v, "") for v in al.get("threshold", [])],
                      "accounts": al.get("accounts", pd.Series(dtype=object)),
                      "message": al.get("message", pd.Series(dtype=object))})
    out.append(Section("Alerts fired this week", [
        f"{fmt.plural(len(al), 'alert')} fired on data of this week." if len(al) else
        "No alert fired on data of this week."], t, None, "Goals"))
    for s in out:
        if s.table is not None:
            s.table = _text_frame(s.table)
    return out
