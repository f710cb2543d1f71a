"""Product analytics event exports (JSON lines, flattened) -> usage_events: Mixpanel's raw
export, Segment messages and Amplitude's Export API events."""

from __future__ import annotations

import json
from collections.abc import Iterator

from metrics.ingest.presets.base import (
    Context,
    Out,
    Preset,
    Rows,
    _account_columns,
    _date_text,
    _epoch_or_date,
    _no_account,
    _v,
)

# --- Mixpanel -------------------------------------------------------------------------------

_MP_ACCOUNT = ("properties.account_id", "properties.company_id", "properties.$group_id",
               "properties.company", "properties.org_id")


def _mixpanel(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Mixpanel raw export events (JSON lines, flattened) -> usage_events."""
    acc = _account_columns(ctx, _MP_ACCOUNT)
    why = None if acc else _no_account(ctx, _MP_ACCOUNT)
    for line, r in rows:
        account = _v(r, *acc)
        yield Out(line, {
            "account_id": account, "user_id": _v(r, "properties.distinct_id"),
            "occurred_at": _epoch_or_date(_v(r, "properties.time"), ctx),
            "feature": _v(r, "event"), "duration_seconds": _v(r, "properties.$duration",
                                                               "properties.duration"),
        }, [("account_id", None, why)] if account is None and why else [])


MIXPANEL = Preset(
    "mixpanel_events", "Mixpanel raw event export", "usage_events",
    (frozenset({"event", "properties.time", "properties.distinct_id"}),),
    _mixpanel,
    {"account_id": "properties.account_id / .company_id / .$group_id / .company (or "
     "--preset-option account=COLUMN)", "user_id": "properties.distinct_id",
     "occurred_at": "properties.time (Unix seconds, or milliseconds)",
     "feature": "event", "duration_seconds": "properties.$duration"},
    ("Reads the raw export's JSON lines (properties flattened to properties.NAME).",
     "The account is a group key property (account_id, company_id, $group_id, company) or "
     "the column named by --preset-option account=COLUMN; an event without one is "
     "rejected.",
     "properties.time is read as UTC (projects created before 2023 may export it in the "
     "project's time zone)."),
    "Mixpanel Raw Event Export API (https://developer.mixpanel.com/reference-link/export, "
    "https://docs.mixpanel.com/docs/export-methods): one JSON object a line, "
    "{\"event\": ..., \"properties\": {\"time\", \"distinct_id\", \"$insert_id\", ...}}",
    {"account": ()},
)



# --- Segment --------------------------------------------------------------------------------

_SEG_ACCOUNT = ("context.groupid", "groupid", "properties.account_id", "context.traits.account_id",
                "context.traits.company_id", "properties.company_id")
_SEG_EVENTS = {"track", "page", "screen"}


def _segment(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Segment messages (JSON lines, flattened) -> usage_events: track, page and screen calls."""
    acc = _account_columns(ctx, _SEG_ACCOUNT)
    why = None if acc else _no_account(ctx, _SEG_ACCOUNT)
    other: dict[str, int] = {}
    for line, r in rows:
        kind = (_v(r, "type") or "").lower()
        if kind and kind not in _SEG_EVENTS:
            # identify / group / alias calls describe people and accounts, not usage.
            other[kind] = other.get(kind, 0) + 1
            continue
        account = _v(r, *acc)
        feature = _v(r, "event") if kind in ("track", "") else _v(r, "name") or kind
        yield Out(line, {
            "account_id": account, "user_id": _v(r, "userid", "anonymousid"),
            "occurred_at": _date_text(_v(r, "timestamp", "originaltimestamp"), ctx),
            "feature": feature, "duration_seconds": None,
        }, [("account_id", None, why)] if account is None and why else [])
    if other:
        ctx.notes.append("Not usage events, left out: " + ", ".join(
            f"{n} {k} call{'s' if n != 1 else ''}" for k, n in sorted(other.items())) + ".")


SEGMENT = Preset(
    "segment_events", "Segment event export", "usage_events",
    (frozenset({"type", "messageid", "timestamp"}),),
    _segment,
    {"account_id": "context.groupId / properties.account_id / context.traits.account_id "
     "(or --preset-option account=COLUMN)", "user_id": "userId, else anonymousId",
     "occurred_at": "timestamp", "feature": "event (track), name (page, screen)"},
    ("Reads Segment messages as JSON lines (nested fields flattened: context.groupId).",
     "Track, page and screen calls are events; identify, group and alias calls describe "
     "people and accounts, not usage: they are left out and counted in the notes.",
     "The account is context.groupId, properties.account_id or a trait; an event without "
     "one is rejected."),
    "Segment Spec, common fields and Track "
    "(https://www.twilio.com/docs/segment/connections/spec/common, "
    ".../spec/track): type, messageId, anonymousId, userId, timestamp, context, event, "
    "name, properties",
    {"account": ()},
)



# --- Amplitude ------------------------------------------------------------------------------

# Amplitude's own events: identity and session bookkeeping, not use of a feature.
_AMP_NOT_USAGE = {"$identify", "$groupidentify", "session_start", "session_end"}
_AMP_ACCOUNT = ("user_properties.account_id", "event_properties.account_id",
                "user_properties.company_id", "event_properties.company_id")


def _first(s: str | None) -> str | None:
    """Return a group value: the first of a JSON list (["acc-1"]), else the text itself."""
    if s is not None and s.startswith("["):
        try:
            items = json.loads(s)
        except json.JSONDecodeError:
            return s
        return str(items[0]) if isinstance(items, list) and items else None
    return s


def _amplitude(rows: Rows, ctx: Context) -> Iterator[Out]:
    """Amplitude Export API events (JSON lines, flattened) -> usage_events."""
    groups = tuple(k for k in ctx.keys if k.startswith("groups."))
    candidates = groups + _AMP_ACCOUNT
    acc = _account_columns(ctx, candidates)
    why = None if acc else _no_account(ctx, ("groups.NAME",) + _AMP_ACCOUNT)
    other: dict[str, int] = {}
    for line, r in rows:
        event = _v(r, "event_type")
        if event in _AMP_NOT_USAGE:
            other[event] = other.get(event, 0) + 1
            continue
        account = _first(_v(r, *acc))
        yield Out(line, {
            "account_id": account, "user_id": _v(r, "user_id", "device_id"),
            "occurred_at": _epoch_or_date(_v(r, "event_time", "client_event_time"), ctx),
            "feature": event, "duration_seconds": None,
        }, [("account_id", None, why)] if account is None and why else [])
    if other:
        ctx.notes.append("Not usage events, left out: " + ", ".join(
            f"{n} {k}" for k, n in sorted(other.items())) + ".")


AMPLITUDE = Preset(
    "amplitude_events", "Amplitude event export", "usage_events",
    (frozenset({"event_type", "event_time", "amplitude_id"}),),
    _amplitude,
    {"account_id": "groups.NAME (the first group type the file has; a list's first "
     "value), else user_properties.account_id (or --preset-option account=COLUMN)",
     "user_id": "user_id, else device_id (anonymous events)",
     "occurred_at": "event_time (UTC)", "feature": "event_type"},
    ("Reads the Export API's events as JSON lines (nested fields flattened: "
     "groups.company). Amplitude ships them as a zip of gzipped files: unzip the archive "
     "and decompress each file first (zcat *.json.gz > events.jsonl); a .gz or .zip file "
     "is refused with that advice.",
     "The account is the event's group (groups.NAME, Amplitude's accounts add-on), or an "
     "account_id user or event property, or the column named by --preset-option "
     "account=COLUMN; an event without one is rejected.",
     "$identify, $groupidentify, session_start and session_end are Amplitude's "
     "bookkeeping, not usage: left out and counted in the notes.",
     "event_time is UTC, as the Export API writes it; user_id, else device_id for an "
     "anonymous user."),
    "Amplitude Export API (https://amplitude.com/docs/apis/analytics/export: a zip of "
    "gzipped JSON files, one event a line, timestamped in UTC) with the event fields "
    "as Amplitude's export schema lists them: event_type, event_time, user_id, "
    "device_id, amplitude_id, groups, event_properties, user_properties, "
    "server_upload_time, $insert_id, uuid, ...",
    {"account": ()},
)
