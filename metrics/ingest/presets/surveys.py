"""Survey tools' response exports -> survey_responses: Delighted (the API's JSON lines or
CSV) and Qualtrics (the CSV response export, an NPS or CSAT question)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC

from metrics.ingest.errors import LoadRefused
from metrics.ingest.presets.base import (
    Context,
    Out,
    Preset,
    Problem,
    Rows,
    _account_columns,
    _epoch_or_date,
    _iso,
    _no_account,
    _v,
    _when,
    key,
)
from metrics.ingest.presets.forms import _CSAT, _CSAT_LABELS, _NPS, _TYPES

# --- Delighted ------------------------------------------------------------------------------

_DL_ACCOUNT = ("person_properties.account_id", "person_properties.account id",
               "person_properties.company_id", "person_properties.company",
               "person_properties.account", "account_id", "company")


def _delighted(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Delighted survey responses (the API's fields; JSON lines flattened) -> survey_responses."""
    acc = _account_columns(ctx, _DL_ACCOUNT)
    why = None if acc else _no_account(ctx, _DL_ACCOUNT)
    for line, r in rows:
        problems: list[Problem] = []
        account = _v(r, *acc)
        if account is None and why:
            problems.append(("account_id", None, why))
        yield Out(line, {
            "response_id": _v(r, "id"), "account_id": account,
            "respondent": _v(r, "person_properties.email", "email", "person"),
            "survey_type": _v(r, "survey_type") or "nps", "score": _v(r, "score"),
            "scale": None, "comment": _v(r, "comment"),
            "responded_at": _epoch_or_date(_v(r, "created_at"), ctx),
            "touchpoint": _v(r, "person_properties.touchpoint", "touchpoint"),
        }, problems)


DELIGHTED = Preset(
    "delighted_responses", "Delighted survey responses export", "survey_responses",
    (frozenset({"person", "survey_type", "score", "permalink"}),),
    _delighted,
    {"response_id": "id", "account_id": "person_properties.account_id / .company_id / "
     ".company (or --preset-option account=COLUMN)",
     "respondent": "person_properties.email, else person", "survey_type": "survey_type",
     "score": "score", "comment": "comment", "responded_at": "created_at (Unix seconds)",
     "touchpoint": "person_properties.touchpoint"},
    ("Reads the API's survey responses as JSON lines (person_properties flattened to "
     "person_properties.NAME) or as CSV with the same names.",
     "The account comes from a person property (account_id, company_id, company) or the "
     "column named by --preset-option account=COLUMN; a response without one is rejected.",
     "Scores keep their survey type's scale: nps 0-10, csat 1-5, ces 1-7; other types "
     "(smileys, thumbs, enps, pmf) are rejected by the survey_type rule."),
    "Delighted API, survey response object (http://delightedapp.com/docs/api/"
    "listing-survey-responses): id, person, survey_type, score, comment, permalink, "
    "created_at, updated_at, person_properties, notes, tags, additional_answers",
    {"account": ()},
)



# --- Qualtrics ------------------------------------------------------------------------------

_QX_ACCOUNT = ("account_id", "accountid", "account", "company_id", "externalreference")
# The response export's own columns (not questions).
_QX_FIXED = {"startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)",
             "finished", "recordeddate", "responseid", "recipientlastname",
             "recipientfirstname", "recipientemail", "externalreference", "locationlatitude",
             "locationlongitude", "distributionchannel", "userlanguage", *_QX_ACCOUNT}


def _qualtrics_score(ctx: Context, texts: dict[str, str]) -> tuple[str, str]:
    """Return (header key of the score column, survey type): the `score` option's QID, else
    the NPS question (a QID with its QID_NPS_GROUP), else the one question whose text (the
    second header row) reads as NPS or CSAT. Raises LoadRefused listing the questions."""
    keys = ctx.keys
    stype = None if ctx.options.get("survey_type") in (None, "", "auto") \
        else ctx.options["survey_type"]
    chosen = key(ctx.options.get("score") or "") or None
    if chosen and chosen not in keys:
        raise LoadRefused(f"--preset-option score={ctx.options['score']}: the file has no "
                          "such column.")
    if chosen is None:
        groups = [k for k in keys if k.endswith("_nps_group") and k[: -len("_nps_group")]
                  in keys]
        if groups:
            return groups[0][: -len("_nps_group")], stype or "nps"
        found = [k for k in keys if k not in _QX_FIXED and not k.endswith("_text")
                 and (_NPS.search(texts.get(k, "")) or _CSAT.search(texts.get(k, "")))]
        if len(found) != 1:
            listed = "; ".join(f"{keys[k]} \"{texts.get(k, '')}\"" for k in keys
                               if k not in _QX_FIXED)
            raise LoadRefused(
                ("no question" if not found else f"{len(found)} questions")
                + " of this Qualtrics export read as the NPS (a QID with its QID_NPS_GROUP, "
                "or \"... recommend ...\") or CSAT (\"... satisf...\") score: name its QID "
                f"with --preset-option score=QID (the columns: {listed}).")
        chosen = found[0]
    text = texts.get(chosen, "")
    stype = stype or ("nps" if _NPS.search(text) else "csat" if _CSAT.search(text) else None)
    if stype is None:
        raise LoadRefused(f"the score column {keys[chosen]} does not say its scale: add "
                          "--preset-option survey_type=nps|csat|ces.")
    return chosen, stype


def _qualtrics(rows: Rows, ctx: Context) -> Iterator[Out]:
    """A Qualtrics response export (CSV, three header rows) -> survey_responses (NPS or
    CSAT)."""
    it = iter(rows)
    first = next(it, None)
    # The second header row holds the question texts: read before choosing the score.
    texts = first[1] if first and _v(first[1], "responseid") == "Response ID" else {}
    rows = itertools.chain([first], it) if first else it
    score_key, stype = _qualtrics_score(ctx, texts)
    keys = ctx.keys
    comment_key = key(ctx.options.get("comment") or "") or None
    if comment_key and comment_key not in keys:
        raise LoadRefused(f"--preset-option comment={ctx.options['comment']}: the file has no "
                          "such column.")
    acc = _account_columns(ctx, _QX_ACCOUNT)
    why = None if acc else _no_account(ctx, _QX_ACCOUNT)
    ctx.notes.append(f"The {stype.upper()} answer is column {keys[score_key]}"
                     + (f"; the comment is {keys[comment_key]}." if comment_key else
                        "; no comment column (--preset-option comment=QID names one)."))
    zone = None
    skipped = 0
    for line, r in rows:
        rid = _v(r, "responseid") or ""
        # Qualtrics writes two more header rows: the question texts, then ImportId JSON that
        # names the time zone of the dates.
        if rid == "Response ID" or rid.startswith("{"):
            skipped += 1
            if rid.startswith("{"):
                m = re.search(r'"timeZone"\s*:\s*"([^"]+)"', r.get("recordeddate", ""))
                zone = m.group(1) if m else zone
            continue
        problems: list[Problem] = []
        account = _v(r, *acc)
        if account is None and why:
            problems.append(("account_id", None, why))
        score = _v(r, score_key)
        if stype == "csat" and score is not None and not score.isdigit():
            label = _CSAT_LABELS.get(score.lower())
            if label is None:
                problems.append(("score", score, f"answer {score!r} is neither a number nor "
                                 "a five-point CSAT label"))
            score = label or score
        yield Out(line, {
            "response_id": rid or None, "account_id": account,
            "respondent": _v(r, "recipientemail"), "survey_type": stype,
            "score": score, "scale": None,
            "comment": _v(r, comment_key) if comment_key else None,
            "responded_at": _zoned(_v(r, "recordeddate", "enddate"), zone, ctx),
            "touchpoint": _v(r, "distributionchannel"),
        }, problems)
    ctx.notes.append(f"{skipped} header rows after the first skipped (question texts, ImportId)"
                     + (f"; dates read in {zone} and converted to UTC." if zone else "."))


def _zoned(s: str | None, zone: str | None, ctx: Context) -> str | None:
    """Return a date/time written in time zone `zone` (an IANA name; None = UTC) as ISO UTC."""
    d = _when(s, ctx.date_format)
    if d is None:
        return s
    if zone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            d = d.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)
        except ZoneInfoNotFoundError:
            pass
    return _iso(d)


QUALTRICS = Preset(
    "qualtrics_nps", "Qualtrics survey export (NPS or CSAT)", "survey_responses",
    (frozenset({"startdate", "enddate", "responseid", "recordeddate"}),),
    _qualtrics,
    {"response_id": "ResponseId", "account_id": "an embedded data field account_id / "
     "AccountId / company_id, else ExternalReference (or --preset-option account=COLUMN)",
     "respondent": "RecipientEmail", "score": "the QID whose QID_NPS_GROUP column exists, "
     "else the one question whose text reads as NPS or CSAT (or --preset-option score=QID)",
     "survey_type": "nps, or csat for a satisfaction question (or --preset-option "
     "survey_type)",
     "comment": "--preset-option comment=QID", "responded_at": "RecordedDate",
     "touchpoint": "DistributionChannel"},
    ("The NPS question is the column QID that has a QID_NPS_GROUP beside it (Qualtrics "
     "adds it to NPS questions); the score is 0-10.",
     "Without one, the score is the one question whose text (second header row) reads as "
     "NPS (\"... recommend ...\") or CSAT (\"... satisf...\": 1-5, as numeric values, or "
     "the labels Extremely/Very satisfied ... Extremely/Very dissatisfied); when none or "
     "several do, the load is refused listing the questions: --preset-option score=QID "
     "(and survey_type=nps|csat|ces). Export numeric values with recode values 1-5: "
     "Qualtrics keeps a question's recode values, which may not be 1-5.",
     "The two header rows after the first (question texts, ImportId JSON) are skipped; the "
     "time zone named in the ImportId row is used for the dates, converted to UTC.",
     "The account is an embedded data field (account_id, AccountId, account, company_id) "
     "or ExternalReference; a response without one is rejected."),
    "Qualtrics CSV response export (three header rows: ids, question texts, ImportId "
    "JSON): StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds), "
    "Finished, RecordedDate, ResponseId, RecipientLastName, RecipientFirstName, "
    "RecipientEmail, ExternalReference, LocationLatitude, LocationLongitude, "
    "DistributionChannel, UserLanguage, then the questions (an NPS question QID with "
    "QID_NPS_GROUP) and embedded data; Qualtrics' Understanding Your Dataset "
    "(https://www.qualtrics.com/support/survey-platform/data-and-analysis-module/data/"
    "download-data/understanding-your-dataset/) describes the three header rows and "
    "these columns",
    {"account": (), "comment": (), "score": (), "survey_type": ("auto", *_TYPES)},
)
