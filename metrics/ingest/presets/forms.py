"""Form tools' response exports -> survey_responses: Typeform and SurveyMonkey. Their columns
are the questions' own texts, so a preset is recognised by the fixed columns around them and
the score is the one question that reads as NPS ("... recommend ...") or CSAT ("...
satisf..."), or the column named by --preset-option score=COLUMN."""

from __future__ import annotations

import re
from collections.abc import Iterator

from metrics.ingest.errors import LoadRefused
from metrics.ingest.presets.base import (
    Context,
    Out,
    Preset,
    Problem,
    Rows,
    _account_columns,
    _date_text,
    _no_account,
    _v,
    key,
)

_NPS = re.compile(r"recommend", re.IGNORECASE)
_CSAT = re.compile(r"satisf", re.IGNORECASE)
_TYPES = ("nps", "csat", "ces")
# Five-point CSAT labels, for an export written with answer texts rather than numbers.
_CSAT_LABELS = {"very satisfied": "5", "satisfied": "4", "neutral": "3",
                "neither satisfied nor dissatisfied": "3", "dissatisfied": "2",
                "very dissatisfied": "1",
                # Qualtrics' five-point satisfaction scale
                "extremely satisfied": "5", "somewhat satisfied": "4",
                "somewhat dissatisfied": "2", "extremely dissatisfied": "1"}
_FORM_OPTIONS: dict[str, tuple[str, ...]] = {"score": (), "account": (), "comment": (),
                                            "survey_type": ("auto", *_TYPES)}


def _column(ctx: Context, option: str) -> str | None:
    """Return the header key of the column an option names (None when not given); raise
    LoadRefused when the file has no such column."""
    chosen = ctx.options.get(option) or ""
    if not chosen:
        return None
    k = key(chosen)
    if k not in ctx.keys:
        raise LoadRefused(f"--preset-option {option}={chosen}: the file has no such column "
                          f"(its columns: {', '.join(h for h in ctx.headers if h)}).")
    return k


def _score(ctx: Context, fixed: set[str]) -> tuple[str, str]:
    """Return (header key of the score column, survey type): the `score` option's column, else
    the one question that reads as NPS or CSAT. Raises LoadRefused, with the questions, when
    none or several do, or when the survey type cannot be told."""
    keys = ctx.keys
    questions = [k for k in keys if k and k not in fixed]
    chosen = _column(ctx, "score")
    # "auto": the scale the score question's wording says (check_options refused the rest)
    stype = None if ctx.options.get("survey_type") in (None, "", "auto") \
        else ctx.options["survey_type"]
    listed = "; ".join(f'"{keys[k]}"' for k in questions)
    if chosen is None:
        found = [k for k in questions if _NPS.search(k) or _CSAT.search(k)]
        if len(found) != 1:
            what = "no question reads" if not found else f"{len(found)} questions read"
            raise LoadRefused(f"{what} as the NPS (\"... recommend ...\") or CSAT (\"... "
                              "satisf...\") score: name its column with --preset-option "
                              f"score=COLUMN (the questions: {listed}).")
        chosen = found[0]
    if stype is None:
        stype = "nps" if _NPS.search(chosen) else "csat" if _CSAT.search(chosen) else None
    if stype is None:
        raise LoadRefused(f"the score column \"{keys[chosen]}\" does not say its scale: add "
                          "--preset-option survey_type=nps|csat|ces.")
    return chosen, stype


def _form(fixed: set[str], account_candidates: tuple[str, ...], respondent: tuple[str, ...],
          response_id: tuple[str, ...], responded: tuple[str, ...],
          date_formats: tuple[str, ...] = ()):
    """Return the transform of a form tool's export (the fixed columns given by header key)."""

    def run(rows: Rows, ctx: Context) -> Iterator[Out]:
        score_key, stype = _score(ctx, fixed)
        comment_key = _column(ctx, "comment")
        acc = _account_columns(ctx, account_candidates)
        why = None if acc else _no_account(ctx, account_candidates)
        ctx.notes.append(f"The score is \"{ctx.keys[score_key]}\" read as {stype}"
                         + (f"; the comment is \"{ctx.keys[comment_key]}\"." if comment_key
                            else "; no comment column (--preset-option comment=COLUMN)."))
        skipped: dict[str, int] = {}
        for line, r in rows:
            rid = _v(r, *response_id)
            if rid is None and not any((r.get(k) or "").strip() for k in fixed):
                # SurveyMonkey's second header row (answer labels) fills no fixed column.
                skipped["header rows after the first"] = \
                    skipped.get("header rows after the first", 0) + 1
                continue
            if (_v(r, "response type") or "completed").lower() != "completed":
                skipped["partial responses"] = skipped.get("partial responses", 0) + 1
                continue
            score = _v(r, score_key)
            if score is None:
                skipped["without an answer to the score question"] = \
                    skipped.get("without an answer to the score question", 0) + 1
                continue
            problems: list[Problem] = []
            if stype == "csat" and not score.isdigit():
                label = _CSAT_LABELS.get(score.lower())
                if label is None:
                    problems.append(("score", score, f"answer {score!r} is neither a number "
                                     "nor a CSAT label (Very satisfied, Satisfied, Neutral, "
                                     "Dissatisfied, Very dissatisfied)"))
                score = label or score
            account = _v(r, *acc)
            if account is None and why:
                problems.append(("account_id", None, why))
            yield Out(line, {
                "response_id": rid, "account_id": account,
                "respondent": _v(r, *respondent), "survey_type": stype, "score": score,
                "scale": None, "comment": _v(r, comment_key) if comment_key else None,
                "responded_at": _date_text(_v(r, *responded), ctx, date_formats),
                "touchpoint": None,
            }, problems)
        if skipped:
            ctx.notes.append("Left out: " + ", ".join(
                f"{n} {k}" for k, n in sorted(skipped.items())) + ".")

    return run


_FORM_NOTES = (
    "The score is the one question whose text reads as NPS (\"... recommend ...\", 0-10) "
    "or CSAT (\"... satisf...\", 1-5, or the five labels Very satisfied ... Very "
    "dissatisfied); when none or several do, the load is refused listing the questions: "
    "--preset-option score=COLUMN names it (and survey_type=nps|csat|ces its scale).",
    "Rows without an answer to the score question are left out and counted in the notes.",
    "--preset-option comment=COLUMN names the comment question; account=COLUMN the "
    "account column when the default ones are absent (a response without an account is "
    "rejected).",
)

_TF_FIXED = {"#", "response type", "start date", "stage date", "submit date", "network id",
             "tags", "ending", "submitted at", "token"}

TYPEFORM = Preset(
    "typeform_responses", "Typeform responses export", "survey_responses",
    (frozenset({"#", "submit date", "network id"}), frozenset({"submitted at", "token"})),
    _form(_TF_FIXED, ("account_id", "account", "company_id", "company"),
          ("email", "respondent"), ("#", "token"), ("submit date", "submitted at")),
    {"response_id": "# (or Token)", "account_id": "a hidden field account_id / account / "
     "company_id / company (or --preset-option account=COLUMN)",
     "respondent": "a hidden field email",
     "survey_type": "nps or csat, from the score question", "score": "the NPS or CSAT "
     "question (or --preset-option score=COLUMN)", "comment": "--preset-option "
     "comment=COLUMN", "responded_at": "Submit Date (UTC), or Submitted At"},
    (*_FORM_NOTES,
     "Partial responses (Response Type partial) are left out and counted; Submit Date "
     "(UTC) is UTC."),
    "Typeform's CSV download of responses (Results > Responses > Download): # (the "
    "response token), one column per question as written, the hidden fields, then "
    "Response Type, Start Date (UTC), Stage Date (UTC), Submit Date (UTC), Network ID, "
    "Tags, Ending (another layout ends with Submitted At, Token); the fixed columns as "
    "public code reading that download lists them (the "
    "API's equivalents: https://www.typeform.com/developers/responses/reference/"
    "retrieve-responses/ token, landed_at, submitted_at, hidden, metadata.network_id)",
    dict(_FORM_OPTIONS),
)

_SM_FIXED = {"respondent id", "collector id", "start date", "end date", "ip address",
             "email address", "first name", "last name", "custom data 1", "custom data 2"}
# SurveyMonkey writes dates month first with a 12-hour clock: 03/02/2026 09:15:22 AM.
_SM_DATES = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S",
             "%m/%d/%Y %H:%M")

SURVEYMONKEY = Preset(
    "surveymonkey_responses", "SurveyMonkey responses export", "survey_responses",
    (frozenset({"respondent id", "collector id", "start date", "end date"}),),
    _form(_SM_FIXED, ("custom data 1", "account_id", "account", "company"),
          ("email address",), ("respondent id",), ("end date",), _SM_DATES),
    {"response_id": "Respondent ID", "account_id": "Custom Data 1 (or --preset-option "
     "account=COLUMN)", "respondent": "Email Address", "survey_type": "nps or csat, from "
     "the score question", "score": "the NPS or CSAT question (or --preset-option "
     "score=COLUMN)", "comment": "--preset-option comment=COLUMN",
     "responded_at": "End Date (03/02/2026 09:15:22 AM)"},
    (*_FORM_NOTES,
     "The second header row (the answer labels: Response, Open-Ended Response, ...) is "
     "skipped; the report's lines are the file's.",
     "The account is Custom Data 1 (the custom value a collector link passes), unless "
     "--preset-option account=COLUMN names another column.",
     "End Date is read month first with its AM/PM clock, as UTC (the export writes the "
     "survey owner's time zone without naming it: --date-format cannot shift it either)."),
    "SurveyMonkey's All responses data export, CSV (two header rows: the question texts, "
    "then the answer labels): Respondent ID, Collector ID, Start Date, End Date, IP "
    "Address, Email Address, First Name, Last Name, Custom Data 1, then one column per "
    "question (or answer choice); the fixed columns as public code reading that export "
    "lists them (the API's response fields: id, collector_id, date_created, "
    "date_modified, ip_address, email_address, custom_value)",
    dict(_FORM_OPTIONS),
)
