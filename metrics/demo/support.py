"""Tickets and survey answers: the support simulation and its two tables as frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.demo.constants import (
    _S_SURVEYS,
    _S_TICKETS,
    _SECONDS_PER_DAY,
    CHANNEL_P,
    CHANNELS,
    COMMENTS,
    FIRST_RESPONSE_MEDIAN_H,
    PRIORITIES,
    PRIORITY_P_HEALTHY,
    PRIORITY_P_UNHEALTHY,
    PRIORITY_RESPONSE_FACTOR,
    RESOLUTION_MEDIAN_H,
    SURVEY_SCALE,
    SURVEY_TYPES,
    THEME_WEIGHT_NEG,
    THEME_WEIGHT_POS,
    THEMES,
    TICKET_WEEKDAY,
    TOUCHPOINTS,
    _rng,
)
from metrics.demo.world import (
    _DayPicker,
    _pick_rows,
    _seconds_in_day,
    _timestamps,
    _weekday,
    _World,
)


@dataclass
class _Tickets:
    """Tickets as arrays, in ticket_id order, kept for the CSAT/CES surveys that follow them."""

    account: np.ndarray
    health: np.ndarray
    created: np.ndarray  # seconds
    first_response: np.ndarray  # seconds; valid where answered
    answered: np.ndarray
    resolved: np.ndarray  # seconds; valid where closed
    closed: np.ndarray
    contacts: np.ndarray
    reopened: np.ndarray
    channel: np.ndarray
    priority: np.ndarray
    resolution_h: np.ndarray


def _simulate_tickets(w: _World) -> _Tickets:
    """Return the support tickets: more for larger and unhealthier accounts and during
    onboarding, created in working hours, answered fast on chat and phone, slower by email
    (faster over time as the support team grew), some still open at the end."""
    rng = _rng(w.seed, _S_TICKETS)
    acc, k = w.alive_cells()
    a, b = w.cell_start[acc, k], w.cell_stop[acc, k]
    full = w.cell_start[acc, k + 1] - a
    p = w.health[acc, k]
    rate = (
        w.params.tickets
        * np.sqrt(w.seats[acc, k] / 4.0)
        * (0.5 + 1.8 * (1 - p))
        * np.where(k < 2, 1.8, 1.0)
        * (b - a)
        / full
    )
    count = rng.poisson(rate)
    cell = np.repeat(np.arange(len(acc)), count)
    m = len(cell)
    account, health = acc[cell], p[cell]
    day = _DayPicker(w.start_day, w.end_day, TICKET_WEEKDAY).draw(rng, a[cell], b[cell])
    created = day * _SECONDS_PER_DAY + _seconds_in_day(rng, w.region[account], 0.85)

    seg = w.segment[account]
    channel = _pick_rows(rng, CHANNEL_P[seg])
    unhealthy = np.clip((0.6 - health) / 0.4, 0, 1)[:, None]
    priority = _pick_rows(
        rng, (1 - unhealthy) * PRIORITY_P_HEALTHY + unhealthy * PRIORITY_P_UNHEALTHY
    )
    elapsed = (day - w.start_day) / max(1, w.end_day - w.start_day)  # 0 at the start, 1 at the end
    first_h = (
        FIRST_RESPONSE_MEDIAN_H[channel]
        * PRIORITY_RESPONSE_FACTOR[priority]
        * (1.35 - 0.55 * elapsed)
        * rng.lognormal(0, 0.9, m)
    )
    # email and web-form tickets raised at the weekend wait for Monday
    weekend = (_weekday(day) >= 5) & np.isin(channel, [0, 2])
    first_h = first_h + np.where(weekend, rng.uniform(10, 40, m), 0.0)
    resolution_h = first_h + (
        RESOLUTION_MEDIAN_H[priority] * np.where(health < 0.4, 1.4, 1.0) * rng.lognormal(0, 1.0, m)
    )
    limit = (w.end_day + 1) * _SECONDS_PER_DAY  # nothing may happen after the end date
    first_response = created + np.round(first_h * 3600).astype(np.int64)
    resolved = created + np.round(resolution_h * 3600).astype(np.int64)
    answered = first_response < limit
    stale = rng.random(m) < 0.003  # a small forgotten backlog
    closed = (resolved < limit) & ~stale
    answered |= closed

    extra = rng.poisson(0.02 + 0.18 * np.log1p(resolution_h / 24) + 0.3 * (priority <= 1))
    contacts = np.where(
        closed,
        np.minimum(6, 1 + extra),
        np.where(answered, np.minimum(6, 1 + rng.poisson(0.3, m)), 0),
    )
    reopened = closed & (rng.random(m) < 0.035 + 0.09 * (1 - health))
    order = np.lexsort((np.arange(m), account, created))
    t = _Tickets(
        account=account,
        health=health,
        created=created,
        first_response=first_response,
        answered=answered,
        resolved=resolved,
        closed=closed,
        contacts=contacts,
        reopened=reopened,
        channel=channel,
        priority=priority,
        resolution_h=resolution_h,
    )
    for name, value in list(vars(t).items()):
        setattr(t, name, value[order])
    return t


def _tickets_frame(w: _World, t: _Tickets) -> pd.DataFrame:
    """Return the tickets table (ticket_no becomes ticket_id 'T0000001' in SQL). About 1% of
    contacts and reopened are left empty, as exports from help desks do."""
    rng = _rng(w.seed, _S_TICKETS, 1)
    m = len(t.account)
    contacts = pd.array(t.contacts, dtype="Int32")
    contacts[rng.random(m) < 0.01] = pd.NA
    reopened = pd.array(t.reopened, dtype="boolean")
    reopened[rng.random(m) < 0.01] = pd.NA
    return pd.DataFrame(
        {
            "ticket_no": np.arange(1, m + 1),
            "account_id": pd.Categorical.from_codes(t.account, w.account_ids),
            "created_at": _timestamps(t.created),
            "first_response_at": _timestamps(t.first_response, t.answered),
            "resolved_at": _timestamps(t.resolved, t.closed),
            "contacts": contacts,
            "reopened": reopened,
            "channel": pd.Categorical.from_codes(t.channel, CHANNELS),
            "priority": pd.Categorical.from_codes(t.priority, PRIORITIES),
        }
    )


def _surveys_frame(w: _World, t: _Tickets) -> pd.DataFrame:
    """Return survey_responses: relationship NPS waves, onboarding NPS and CES, renewal NPS,
    and CSAT/CES after resolved tickets; scores follow the account's health at the time, and
    about half carry a comment whose theme and tone match the score."""
    rng = _rng(w.seed, _S_SURVEYS)
    parts = [_nps_answers(w, rng), _ticket_answers(w, t, rng)]
    acc = np.concatenate([x[0] for x in parts])
    kind = np.concatenate([x[1] for x in parts])
    touch = np.concatenate([x[2] for x in parts])
    when = np.concatenate([x[3] for x in parts])
    health = np.concatenate([x[4] for x in parts])
    penalty = np.concatenate([x[5] for x in parts])  # slow or reopened tickets
    # nothing after the end date, and no answers from accounts that have left (a CSAT survey
    # for a ticket resolved after churn goes unanswered)
    keep = (when < (w.end_day + 1) * _SECONDS_PER_DAY) & _alive_on(w, acc, when // _SECONDS_PER_DAY)
    acc, kind, touch, when, health, penalty = (
        x[keep] for x in (acc, kind, touch, when, health, penalty)
    )
    order = np.lexsort((np.arange(len(acc)), acc, when))
    acc, kind, touch, when, health, penalty = (
        x[order] for x in (acc, kind, touch, when, health, penalty)
    )

    m = len(acc)
    score = _survey_scores(rng, kind, health, penalty)
    respondent = w.emails[w.contact_first[acc] + (rng.random(m) * w.contacts[acc]).astype(np.int64)]
    comment = _comments(w, rng, acc, kind, touch, score, when)
    return pd.DataFrame(
        {
            "response_no": np.arange(1, m + 1),
            "account_id": pd.Categorical.from_codes(acc, w.account_ids),
            "respondent": respondent,
            "survey_type": pd.Categorical.from_codes(kind, SURVEY_TYPES),
            "score": score.astype(np.int32),
            "scale": SURVEY_SCALE[kind].astype(np.int16),
            "comment": comment,
            "responded_at": _timestamps(when),
            "touchpoint": pd.Categorical.from_codes(touch, TOUCHPOINTS),
        }
    )


def _alive_on(w: _World, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Return whether each account was a paying customer on the day (days after the end
    date count as the last month's)."""
    K = w.alive.shape[1]
    k = (w.cell_start[acc] <= day[:, None]).sum(axis=1) - 1
    return w.alive[acc, np.clip(k, 0, K - 1)] & (k >= 0)


def _nps_answers(w: _World, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Return (account, survey type, touchpoint, seconds, health, penalty) of survey answers
    sent on a schedule: relationship NPS every few months to several contacts, NPS and CES one
    month after signup, NPS a month before each annual renewal."""
    acc, k = w.alive_cells()
    n = len(acc)
    phase = _rng(w.seed, _S_SURVEYS, 1).integers(0, w.params.nps_every, w.n)[acc]
    wave = (k >= 3) & ((k - phase) % w.params.nps_every == 0)
    wave_answers = np.where(wave, rng.binomial(w.contacts[acc], 0.3), 0)
    onboarding = (k == 1) & (rng.random(n) < 0.45)
    onboarding_ces = (k == 2) & (rng.random(n) < 0.25)
    renewal = w.annual[acc] & (k % 12 == 11) & (rng.random(n) < 0.4)
    counts = [wave_answers, onboarding, onboarding_ces, renewal]
    kinds, touches = [0, 0, 2, 0], [0, 1, 1, 3]
    cells = [np.repeat(np.arange(n), c.astype(np.int64)) for c in counts]
    cell = np.concatenate(cells)
    kind = np.concatenate([np.full(len(c), s) for c, s in zip(cells, kinds, strict=True)])
    touch = np.concatenate([np.full(len(c), s) for c, s in zip(cells, touches, strict=True)])
    a, b = w.cell_start[acc[cell], k[cell]], w.cell_stop[acc[cell], k[cell]]
    # answers come in over the two weeks after the survey goes out
    day = a + (rng.random(len(cell)) * np.minimum(14, b - a)).astype(np.int64)
    seconds = day * _SECONDS_PER_DAY + _seconds_in_day(rng, w.region[acc[cell]], 0.8)
    return (acc[cell], kind, touch, seconds, w.health[acc[cell], k[cell]], np.zeros(len(cell)))


def _ticket_answers(w: _World, t: _Tickets, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Return the same columns as `_nps_answers` for CSAT and CES answers a few hours after a
    resolved ticket (touchpoint support)."""
    m = len(t.account)
    u = rng.random(m)
    csat = t.closed & (u < w.params.csat_share)
    ces = t.closed & (u >= w.params.csat_share) & (u < w.params.csat_share + w.params.ces_share)
    pick = csat | ces
    kind = np.where(csat, 1, 2)[pick]
    delay = np.round(rng.lognormal(np.log(4), 1.0, m) * 3600).astype(np.int64)[pick]
    penalty = (0.4 * (t.resolution_h > 72) + 0.4 * t.reopened)[pick]
    return (
        t.account[pick],
        kind,
        np.full(len(kind), 2),
        t.resolved[pick] + delay,
        t.health[pick],
        penalty,
    )


def _survey_scores(
    rng: np.random.Generator, kind: np.ndarray, health: np.ndarray, penalty: np.ndarray
) -> np.ndarray:
    """Return integer scores in range for each survey type: NPS 0-10, CSAT 1-5, CES 1-7,
    higher for healthier accounts, lower after slow or reopened tickets."""
    noise = rng.normal(0, 1, len(kind))
    angry = rng.integers(0, 4, len(kind))  # some unhappy customers answer 0-3, not 5
    nps = np.clip(np.round(1.7 + 10.0 * health + 1.5 * noise), 0, 10)
    nps = np.where((health < 0.45) & (rng.random(len(kind)) < 0.25), angry, nps)
    csat = np.clip(np.round(3.15 + 2.3 * health - penalty + 0.85 * noise), 1, 5)
    ces = np.clip(np.round(2.4 + 4.2 * health - penalty + 1.1 * noise), 1, 7)
    return np.select([kind == 0, kind == 1], [nps, csat], ces).astype(np.int64)


def _comments(
    w: _World,
    rng: np.random.Generator,
    acc: np.ndarray,
    kind: np.ndarray,
    touch: np.ndarray,
    score: np.ndarray,
    when: np.ndarray,
) -> np.ndarray:
    """Return a comment per answer (None for about half): a theme weighted by tone, touchpoint,
    segment and the price rise, and a wording of that theme in the score's tone."""
    m = len(acc)
    low = np.select([kind == 0, kind == 1], [score <= 6, score <= 2], score <= 3)
    high = np.select([kind == 0, kind == 1], [score >= 9, score >= 4], score >= 6)
    tone = np.where(low, 0, np.where(high, 2, 1))  # neg, mix, pos
    has = rng.random(m) < np.where(low, 0.62, 0.45)
    weights = np.where((tone == 2)[:, None], THEME_WEIGHT_POS, THEME_WEIGHT_NEG).copy()
    weights[touch == 2, 2] *= 4.0  # support answers talk about support
    weights[touch == 1, 1] *= 4.0  # onboarding answers about onboarding
    seg = w.segment[acc]
    weights[seg == 0, 0] *= 1.6  # small customers mind the price
    weights[seg == 2, 4] *= 1.8  # enterprises need integrations
    day = when // _SECONDS_PER_DAY
    after_rise = (day >= w.price_change_day) & (day < w.price_change_day + 240) & (tone == 0)
    weights[after_rise, 0] *= 2.5
    theme = _pick_rows(rng, weights)
    variant = rng.integers(0, 1 << 30, m)
    tones = ("neg", "mix", "pos")
    out = np.full(m, None, dtype=object)
    for i in np.flatnonzero(has):
        options = COMMENTS[THEMES[theme[i]]][tones[tone[i]]]
        out[i] = options[variant[i] % len(options)]
    return out
