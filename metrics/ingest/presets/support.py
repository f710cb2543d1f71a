"""Support desks' exports: tickets from Zendesk (one row per ticket) and Intercom
(conversation or message entries, one ticket per conversation); Zendesk's satisfaction ratings
-> CSAT survey_responses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from metrics.ingest.presets.base import (
    Context,
    Out,
    Preset,
    Problem,
    Rows,
    _account_columns,
    _date_text,
    _iso,
    _no_account,
    _number,
    _v,
    _when,
)

# --- Zendesk tickets ------------------------------------------------------------------------

_ZD_SATISFACTION = {"good": "satisfied", "bad": "not satisfied", "offered": "no rating",
                    "not offered": "no rating", "unoffered": "no rating"}


def _zendesk(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Zendesk's CSV ticket export -> tickets (see the preset's notes)."""
    lists = [h for h in ctx.headers if h.strip().endswith("[list]")]
    if lists:
        ctx.notes.append("Custom fields in this file, not loaded: " + ", ".join(lists) + ".")
    ratings: dict[str, int] = {}
    for line, r in rows:
        problems: list[Problem] = []
        created_raw = _v(r, "created at")
        created = _when(created_raw, ctx.date_format)
        first = None
        minutes_raw = _v(r, "first reply time in minutes")
        if minutes_raw is not None:
            minutes = _number(minutes_raw)
            if minutes is None or minutes < 0:
                problems.append(("first_response_at", minutes_raw,
                                 f"First reply time in minutes {minutes_raw!r} is not a "
                                 "number of minutes >= 0"))
            elif created is not None:
                first = _iso(created + timedelta(minutes=minutes))
        reopens_raw = _v(r, "reopens")
        reopens = _number(reopens_raw)
        if reopens_raw is not None and reopens is None:
            problems.append(("reopened", reopens_raw, f"Reopens {reopens_raw!r} is not a count"))
        sat = (_v(r, "satisfaction score") or "").lower()
        if sat:  # counted for the notes: an unknown value shows there as "unknown"
            kind = _ZD_SATISFACTION.get(sat, "unknown")
            ratings[kind] = ratings.get(kind, 0) + 1
        yield Out(line, {
            "ticket_id": _v(r, "id", "ticket id"),
            "account_id": _v(r, "organization"),
            "created_at": _iso(created) if created is not None else created_raw,
            "first_response_at": first,
            "resolved_at": _date_text(_v(r, "solved at"), ctx),
            "contacts": _v(r, "replies"),
            "reopened": None if reopens is None else ("true" if reopens > 0 else "false"),
            "channel": _v(r, "via"),
            "priority": _v(r, "priority"),
        }, problems)
    if ratings:
        ctx.notes.append("Satisfaction Score in this file (not stored): " + ", ".join(
            f"{k} {n}" for k, n in sorted(ratings.items())) + ".")


ZENDESK = Preset(
    "zendesk_tickets", "Zendesk tickets export", "tickets",
    (frozenset({"id", "created at", "organization", "first reply time in minutes"}),),
    _zendesk,
    {"ticket_id": "Id", "account_id": "Organization", "created_at": "Created at",
     "first_response_at": "Created at + First reply time in minutes",
     "resolved_at": "Solved at", "contacts": "Replies", "reopened": "Reopens > 0",
     "channel": "Via", "priority": "Priority"},
    ("First reply time in minutes (calendar minutes) becomes first_response_at = Created "
     "at + that many minutes; empty = no reply yet.",
     "Organization is the account: a ticket without one is rejected (required account_id).",
     "Satisfaction Score is not stored (tickets have no rating column): Good = satisfied, "
     "Bad = not satisfied, Offered / Not Offered = no rating; the file's counts are noted.",
     "Custom fields (\"Name [list]\") and the other columns are not loaded: the tickets "
     "table keeps no extra columns.",
     "Times with an offset are converted to UTC; without one they are taken as UTC."),
    "Zendesk CSV ticket export (Admin Center > Account > Tools > Reports > Export, "
    "https://support.zendesk.com/hc/en-us/articles/4408886165402); the column names as "
    "public scripts that write or read that export list them: Id, Requester, Subject, "
    "Status, Priority, Via, Created at, Organization, Solved at, Satisfaction Score, "
    "Reopens, Replies, First reply time in minutes, ..., "
    "custom fields as \"Name [list]\"",
)



# --- Intercom conversations -----------------------------------------------------------------

# Message types that mean a closed conversation was opened again.
_IC_REOPEN = {"open", "assign_and_reopen"}


def _intercom(rows: Rows, ctx: Context) -> Iterator[Out]:
    """An Intercom conversation export (conversation or message entries) -> one ticket per
    conversation (see the notes)."""
    convs: dict[str, Out] = {}
    replies: dict[str, int] = {}
    reopened: set[str] = set()
    transcripts = False  # message entries (one row per message) rather than one per conversation
    for line, r in rows:
        cid = _v(r, "conversation_id")
        if cid is None:
            yield Out(line, {"ticket_id": None}, [("ticket_id", None, "conversation_id is "
                                                   "empty: the row belongs to no conversation")])
            continue
        mtype = (_v(r, "message_type") or "").lower()
        author = (_v(r, "message_author_type") or "").lower()
        companies = _v(r, "message_author_companies")
        o = convs.get(cid)
        if o is None:
            o = convs[cid] = Out(line, {
                "ticket_id": cid, "account_id": None,
                "created_at": _date_text(_v(r, "conversation_created_at"), ctx),
                "first_response_at": _date_text(_v(r, "conversation_first_response_at"), ctx),
                "resolved_at": _date_text(_v(r, "conversation_closed_at"), ctx),
                "contacts": None, "reopened": None, "channel": None, "priority": None})
            replies[cid] = 0
        transcripts = transcripts or mtype not in ("", "conversation_message")
        # The account is the customer's company: the first listed by a non-teammate author.
        if o.values["account_id"] is None and companies and author not in ("admin", "bot"):
            o.values["account_id"] = companies.split(",")[0].strip() or None
        if author == "admin" and mtype == "comment":
            replies[cid] += 1
        if mtype in _IC_REOPEN:
            reopened.add(cid)
    for cid, o in convs.items():
        if transcripts:  # replies and reopens are known only from message entries
            o.values["contacts"] = str(replies[cid])
            o.values["reopened"] = "true" if cid in reopened else "false"
        yield o
    ctx.notes.append(f"{len(convs)} conversations"
                     + (" from message entries: teammate comments counted as replies, "
                        "open / assign_and_reopen as reopens." if transcripts
                        else " (conversation entries: replies and reopens unknown)."))


INTERCOM = Preset(
    "intercom_conversations", "Intercom conversations export", "tickets",
    (frozenset({"conversation_id", "conversation_created_at",
                "conversation_first_response_at"}),),
    _intercom,
    {"ticket_id": "conversation_id", "account_id": "message_author_companies (the first "
     "company of the customer's message)", "created_at": "conversation_created_at",
     "first_response_at": "conversation_first_response_at",
     "resolved_at": "conversation_closed_at",
     "contacts": "teammate comments (message entries)",
     "reopened": "an open / assign_and_reopen message (message entries)"},
    ("One ticket per conversation_id, from conversation entries or message entries (one "
     "row per message; the report names the conversation's first line).",
     "The account is the first company listed for the customer (a lead or user author); a "
     "conversation without one is rejected (required account_id).",
     "Times are UTC, as the export writes them."),
    "Intercom conversation export columns as documented by the Intercom Export app "
    "(https://www.prodsight.ai/help-sub/intercomexport-help-center/getting-started/"
    "what-does-the-intercom-conversation-export-contain): message_id, message_type, "
    "message_created_at, message_author_type, message_author_email, "
    "message_author_companies, conversation_id, conversation_state, "
    "conversation_created_at, conversation_first_response_at, conversation_closed_at",
)



# --- Zendesk satisfaction ratings -----------------------------------------------------------

# Zendesk's legacy CSAT is two-point (good / bad): stated onto the CSAT 1-5 scale at its ends,
# so a good rating is satisfied (>= 4) and a bad one is not, whatever the threshold chosen.
_ZD_RATING = {"good": "5", "good_with_comment": "5", "bad": "1", "bad_with_comment": "1"}
_ZD_ACCOUNT = ("organization_id", "organization", "organization_name", "ticket.organization_id")


def _zendesk_ratings(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Zendesk satisfaction ratings (the API's objects, JSON lines or CSV) -> CSAT answers."""
    acc = _account_columns(ctx, _ZD_ACCOUNT)
    # The API's rating names its ticket, not an organization: the ticket's account, from the
    # tickets already loaded (the Zendesk tickets export), unless a column is named.
    by_ticket = ctx.tickets() if ctx.tickets and not ctx.options.get("account") else None
    if acc:
        why = None
    elif by_ticket is None:
        why = _no_account(ctx, _ZD_ACCOUNT)
    else:
        ctx.notes.append(f"The account is the rated ticket's, from the {len(by_ticket)} "
                         "tickets stored.")
        why = ("is not among the stored tickets: load the Zendesk tickets export first "
               "(its Organization is the account), or name an account column with "
               "--preset-option account=COLUMN")
    left: dict[str, int] = {}
    for line, r in rows:
        raw = _v(r, "score")
        state = (raw or "").lower()
        if state in ("offered", "unoffered", "received", ""):
            # A survey sent (or not) without an answer: no response.
            left[state or "empty"] = left.get(state or "empty", 0) + 1
            continue
        problems: list[Problem] = []
        score = _ZD_RATING.get(state)
        if score is None:
            problems.append(("score", raw, f"score {raw!r} is not a Zendesk rating "
                             "(good, bad, offered, unoffered)"))
        account = _v(r, *acc)
        ticket = _v(r, "ticket_id")
        if account is None and by_ticket is not None:
            account = by_ticket.get(ticket or "")
        if account is None and why:
            problems.append(("account_id", None, why if by_ticket is None
                             else f"ticket {ticket} {why}"))
        comment = _v(r, "comment")
        reason = _v(r, "reason")
        if reason and reason.lower() not in ("no reason provided", "none"):
            comment = f"{comment}\n(reason: {reason})" if comment else f"(reason: {reason})"
        yield Out(line, {
            "response_id": _v(r, "id"), "account_id": account,
            "respondent": _v(r, "requester_id"), "survey_type": "csat",
            "score": score if score is not None else raw, "scale": "5",
            "comment": comment, "responded_at": _date_text(_v(r, "created_at"), ctx),
            "touchpoint": "support",
        }, problems)
    if left:
        ctx.notes.append("Ratings without an answer left out: " + ", ".join(
            f"{n} {k}" for k, n in sorted(left.items())) + ".")


ZENDESK_RATINGS = Preset(
    "zendesk_satisfaction", "Zendesk satisfaction ratings export", "survey_responses",
    (frozenset({"id", "ticket_id", "requester_id", "assignee_id", "score"}),),
    _zendesk_ratings,
    {"response_id": "id", "account_id": "the stored ticket's account (ticket_id), else an "
     "organization_id / organization column (or --preset-option account=COLUMN)",
     "respondent": "requester_id",
     "survey_type": "csat", "score": "score: good = 5, bad = 1 (scale 5)",
     "comment": "comment (and the bad rating's reason)", "responded_at": "created_at",
     "touchpoint": "support"},
    ("Zendesk's (legacy) CSAT is two-point: good = 5 and bad = 1 on the CSAT 1-5 scale "
     "(scale 5), so every good rating counts as satisfied and every bad one as not, at any "
     "--csat-threshold from 2 to 5; CSAT % is then good / (good + bad), Zendesk's own "
     "satisfaction score.",
     "offered / unoffered ratings (a survey without an answer) are left out and counted "
     "in the notes; any other score is rejected with its value.",
     "A rating has no organization in Zendesk's API: its account is its ticket's, from the "
     "tickets already loaded (load the zendesk_tickets export first), unless the file has "
     "an organization_id / organization column or --preset-option account=COLUMN names "
     "one; a rating whose ticket is not stored is rejected, saying so.",
     "A bad rating's reason is kept in the comment: \"(reason: ...)\"."),
    "Zendesk Satisfaction Ratings API, JSON format "
    "(https://developer.zendesk.com/api-reference/ticketing/ticket-management/"
    "satisfaction_ratings/): id, url, assignee_id, group_id, requester_id, ticket_id, "
    "score (offered, unoffered, good, bad), comment, reason, reason_code, created_at, "
    "updated_at; read as JSON lines or CSV under the same names",
    {"account": ()},
)
