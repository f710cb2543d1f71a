"""The Data page's upload wizard: save the upload, propose the mapping, options, preview with
its problems, load, and the report of the last load."""

from __future__ import annotations

import hashlib
import re

import streamlit as st

from dashboard import auth, context
from dashboard.components.table import as_text
from dashboard.components.text import md_escape
from metrics import alerts, export, goals
from metrics.ingest import LoadRefused, load_file, presets, preview, stage, undo
from metrics.ingest.validate import NULL_MARKERS
from metrics.schema import TABLES

NONE = "— not in file —"


def save_upload(store, up) -> stage.Staged:
    """Stage the uploaded bytes in the upload folder (written whole, or reused only when the
    staged file has their size and sha256); return the staged file. Stops the run unless the
    user may load data (nothing is written)."""
    auth.require("load_data")
    data = up.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", up.name)[-80:] or "upload.csv"
    return stage.stage(store.uploads, f"{sha[:12]}_{safe}", data)


def show_result(res: dict) -> None:
    """Draw the outcome of a load: counts, message, row-level report with a download."""
    c = st.columns(5)
    c[0].metric("Rows in file", f"{res['rows_in_file']:,}")
    c[1].metric("Loaded", f"{res['rows_loaded']:,}")
    c[2].metric("Rejected", f"{res['rows_rejected']:,}")
    c[3].metric("Skipped as duplicates", f"{res['rows_skipped_duplicate']:,}")
    c[4].metric("Rows with problems", f"{res.get('rows_with_problems', 0):,}")
    msg = md_escape(res["message"])
    if res["outcome"] == "loaded":
        st.success(msg)
    elif res["outcome"] == "loaded_with_rejects":
        st.warning(msg)
    else:
        st.error(f"**Nothing was changed.** {msg}")
    for note in res.get("notes") or []:  # what reading the file did
        st.info(md_escape(note))
    if res.get("orphans"):
        st.warning(f"{res['orphans']} account ids are not in the accounts table (kept, reported "
                   f"as orphans): {md_escape(', '.join(res['orphan_account_ids'][:20]))}")
    if res["rejects"]:
        import pandas as pd

        rej = pd.DataFrame(res["rejects"], columns=["line", "column", "value", "reason"])
        st.dataframe(rej, width="stretch", hide_index=True, column_config={
            "line": st.column_config.NumberColumn(width="small"),
            "reason": st.column_config.TextColumn(width="large")})
        st.download_button("Download the reject report (CSV)", export.csv_bytes(rej),
                           file_name=f"rejects_{res['table']}.csv", mime="text/csv",
                           key="dl_rejects")


def _load(store, table: str, staged: stage.Staged, args: dict, *, confirm: bool,
          fid: str) -> None:
    """Run the load (read-write, alone: other sessions' reads and a `csm` command wait for it
    and never see half of it); keep its result, or the replace awaiting confirmation. Stops
    the run with the role needed unless the user may load data (checked where it writes).
    A staged file that no longer has the upload's size and sha256 is not loaded (an error)."""
    auth.require("load_data")
    try:
        stage.verify(staged)
    except LoadRefused as e:
        st.error(f"**Nothing was changed.** {md_escape(e)}")
        return
    bar = st.progress(0.0, text="starting")
    with store.write() as rw:
        res = load_file(rw, table, staged.path, **args, confirm_replace=confirm,
                        progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                        after_load=alerts.after_load, row_check=goals.check_rows)
    bar.empty()
    st.session_state.pop("replace_pending", None)
    impact = res.replace_removes
    if not res.ok and impact and impact["removed"] and not confirm:
        st.session_state["replace_pending"] = {"fid": fid, "table": table, "impact": impact}
        st.session_state.pop("last_load", None)
        st.rerun()
    st.session_state["last_load"] = res.to_dict()
    if res.ok:
        st.rerun()  # redraw the counts, history and every page on the new data


def _confirm_replace(store, table: str, staged: stage.Staged, args: dict,
                     pending: dict) -> None:
    """Show what the replace would remove and go ahead only on an explicit confirmation."""
    impact = pending["impact"]
    n = impact["removed"]
    st.warning(f"**Nothing was changed yet.** Replacing {table} with this file removes "
               f"{n:,} of the {impact['stored']:,} stored {table} (for example "
               f"{md_escape(', '.join(impact['sample']))}).")
    if impact["orphaned"]:
        st.dataframe({"table": list(impact["orphaned"]),
                      "rows left without their account": [
                          f"{v:,}" for v in impact["orphaned"].values()]},
                     hide_index=True)
    sure = st.checkbox(f"Remove these {n:,} {table} (the load can be undone in Past loads)",
                       key=f"confirm_replace_{pending['fid']}")
    if st.button(f"Replace and remove {n:,} {table}", key="load_confirm_btn", disabled=not sure,
                 type="primary"):
        _load(store, table, staged, args, confirm=True, fid=pending["fid"])


def _sheet(path, fid: str) -> str | None:
    """Return the sheet to read of a workbook with several (a choice), else None."""
    if path.suffix.lower() != ".xlsx":
        return None
    from metrics.ingest import formats

    try:
        names = formats.sheet_names(path)
    except Exception:  # noqa: BLE001 - the preview says why the file cannot be read
        return None
    if len(names) < 2:
        return None
    return st.selectbox("Sheet", names, key=f"sheet_{fid}")


def _preset(store, table: str, path, fid: str, sheet: str | None) -> tuple:
    """Say which vendor's export the file looks like and offer its preset (on by default);
    return (the preset to apply or None, its options)."""
    # Once per upload and sheet: detecting reads the file (and converts a workbook).
    cache = st.session_state.setdefault("preset_detected", {})
    if (fid, sheet) not in cache:
        cache[(fid, sheet)] = presets.detect_file(path, store.uploads, sheet)
    name = cache[(fid, sheet)]
    if name is None:
        return None, None
    p = presets.PRESETS[name]
    if p.table != table:
        st.info(f"This looks like a {p.label}, which loads the **{p.table}** table: choose "
                "that table to read it with its preset.")
        return None, None
    st.info(f"This looks like a {p.label}.")
    on = st.checkbox(f"Read it with the {p.label} preset (fills the mapping)", value=True,
                     key=f"preset_{fid}", help=" ".join(p.notes))
    if not on:
        return None, None
    options = {}
    for k, values in p.options.items():
        if values:
            options[k] = st.selectbox(f"Preset option: {k}", list(values),
                                      key=f"preset_{fid}_{k}")
        elif text := st.text_input(
                f"Preset option: {k} ("
                + p.option_text.get(k, "a column of the file; empty: the preset looks for one")
                + ")", key=f"preset_{fid}_{k}").strip():
            options[k] = text  # free text: a column's name, or what option_text says
    for note in p.notes:
        st.caption(md_escape(note))
    return name, options


def wizard(store) -> None:
    """Draw the wizard for one upload into a chosen table (nothing is written before Load).
    Stops the run with the role needed unless the user may load data."""
    auth.require("load_data")
    table = st.selectbox("Table", list(TABLES), key="up_table",
                         format_func=lambda t: f"{t} — {TABLES[t].description}")
    up = st.file_uploader("File — CSV (UTF-8, UTF-16, or Latin-1 throughout; comma, "
                          "semicolon, tab or pipe delimited), Excel (.xlsx), Parquet or "
                          "JSON lines",
                          type=["csv", "txt", "tsv", "xlsx", "parquet", "jsonl", "ndjson",
                                "json"], key="up_file")
    if up is not None:
        staged = save_upload(store, up)
        path, fid = staged.path, staged.sha256[:12]
        sheet = _sheet(path, fid)
        preset, preset_options = _preset(store, table, path, fid, sheet)
        try:
            with store.read() as ro:
                _df, info = preview(ro, table, path, sheet=sheet, preset=preset,
                                    preset_options=preset_options, file_name=up.name)
        except LoadRefused as e:
            st.error(f"**This file cannot be loaded; nothing was changed.** {md_escape(e)}")
            info = None
        except KeyError as e:
            st.error(md_escape(e))
            info = None
        if info is not None:
            st.markdown("**1. Column mapping** — proposed from the headers; change any of them.")
            headers = info["headers"]
            targets = TABLES[table].column_names + (["month"] if table == "subscriptions" else [])
            mapping = {}
            # A key per preset: turning the preset on or off proposes its own mapping afresh.
            mkey = f"map_{table}_{fid}" + (f"_{preset}" if preset else "")
            grid = st.columns(3)
            for i, col in enumerate(targets):
                req = col in TABLES[table].required
                proposed = info["mapping"].get(col)
                opts = [NONE] + headers
                mapping[col] = grid[i % 3].selectbox(
                    f"{col}{' *' if req else ''}", opts,
                    index=opts.index(proposed) if proposed in opts else 0,
                    key=f"{mkey}_{col}")
            user_map = {k: ("" if v == NONE else v) for k, v in mapping.items()}
            st.markdown("**2. Options**")
            o = st.columns(3)
            proposal = info.get("date_format") or {}
            if proposal.get("format") and f"datefmt_{fid}" not in st.session_state:
                st.session_state[f"datefmt_{fid}"] = proposal["format"]
            date_format = o[0].text_input(
                "Date format (optional)", key=f"datefmt_{fid}", placeholder="%m/%d/%Y",
                help="strptime codes for non-ISO dates; ISO 8601 always works.") or None
            if proposal.get("format"):
                o[0].caption(f"Proposed: every date of the preview reads with it "
                             f"({md_escape(proposal['sample'])} → {proposal['parsed']}).")
            elif proposal.get("ambiguous"):
                o[0].caption("The dates are not ISO 8601 and read with several formats ("
                             + md_escape(", ".join(proposal["ambiguous"][:3]))
                             + "): day and month cannot be told apart; declare the format.")
            modes = ["replace", "append"]
            # Replace is never chosen for the user on a table others refer to: a partial
            # accounts file would remove the rest of the accounts.
            referenced = table in undo.REFERENCED
            mode = o[1].radio(
                "Mode", modes, key=f"mode_{table}_{fid}", horizontal=True,
                index=None if referenced else modes.index(TABLES[table].default_mode),
                help="append adds the rows and skips ids already stored; replace removes "
                     "what is stored first. Either can be undone in Past loads.")
            if mode is None:
                o[1].caption(f"Choose one: other tables refer to {table}.")
            csat_scale = None
            if table == "survey_responses":
                csat_scale = o[2].radio("CSAT scale", [5, 10], key=f"csat_{fid}",
                                        horizontal=True)
            allow = st.checkbox("Load the valid rows and skip the rejected ones",
                                  key=f"allow_{fid}", value=False,
                                  help="By default any rejected row fails the whole load.")
            st.markdown("**3. Preview** — the first rows as they will be stored")
            try:
                with store.read() as ro:
                    shown, pinfo = preview(ro, table, path, mapping=user_map,
                                           date_format=date_format, csat_scale=csat_scale,
                                           sheet=sheet, preset=preset,
                                           preset_options=preset_options, file_name=up.name)
                for note in pinfo["notes"]:  # an encoding guessed, line endings, ids cleaned
                    st.warning(md_escape(note))
                st.dataframe(as_text(shown), width="stretch", hide_index=True)
                st.caption("Empty cells and the texts "
                           + ", ".join(NULL_MARKERS) + " (any case) are read as no value; "
                           "in a required column they reject the row.")
                if pinfo["preset_applied"]:  # what the preset did to this file
                    static = presets.PRESETS[pinfo["preset"]].notes
                    for note in pinfo["preset_notes"]:
                        if note not in static:
                            st.caption(md_escape(note))
                if pinfo["custom_attributes"]:
                    st.caption("Kept as custom attributes: "
                               + md_escape(", ".join(pinfo["custom_attributes"])))
                if pinfo["problems"]:
                    n = len(pinfo["problems"])
                    st.warning(f"{n} problem{'s' if n != 1 else ''} in the previewed rows "
                               "(the load reports every row of the file):")
                    # preview() counts its rows from 0; the table above is read from 1.
                    st.dataframe([{**p, "row": p["row"] + 1} for p in pinfo["problems"]],
                                 width="stretch", hide_index=True)
                ready = True
            except LoadRefused as e:
                st.error(f"**This file cannot be loaded; nothing was changed.** {md_escape(e)}")
                ready = False
            args = dict(mapping=user_map, mode=mode, date_format=date_format,
                        csat_scale=csat_scale, allow_rejects=allow, file_name=up.name,
                        loaded_by=context.who(), sheet=sheet, preset=preset,
                        preset_options=preset_options)
            if st.button("Load", type="primary", key="load_btn",
                         disabled=not ready or mode is None):
                _load(store, table, staged, args, confirm=False, fid=fid)
            pending = st.session_state.get("replace_pending")
            if pending and pending["fid"] == fid and pending["table"] == table and (
                    mode == "replace"):
                _confirm_replace(store, table, staged, args, pending)
    if "last_load" in st.session_state:
        st.markdown("**Result of the last load**")
        show_result(st.session_state["last_load"])
