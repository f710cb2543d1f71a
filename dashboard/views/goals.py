"""Goals: targets per metric, segment and period (with a proposal from the baseline), benchmark
references with their sources, and alert rules checked at every import with their history."""

import streamlit as st

from dashboard import context, filters
from dashboard.components.goals import parts as goals_parts

# What the page computes on open (dashboard/catalogue.py and the benchmark read it).
# (stored targets, rules and history, and the proposals: each targeted metric by quarter, the
# demo's targets name these; through components/goals/parts.py)
CALLS = ()
OTHER_CALLS = (("sql", "targets_all", {}),
               *(("metric", m, {"grain": "quarter"})
                 for m in ("nps", "csat", "logo_churn", "mrr", "support")),
               ("sql", "alert_rules", {}),
               ("sql", "alert_history", {"limit": 200, "from_day": None, "to_day": None}))

st.title("Goals")
options = filters.options_from(context.named_query("filter_values"))
segments = options.get("segment", [])

st.subheader("Targets")
st.caption("One row per metric, segment (empty = everyone) and period [from, to). Saved all or "
           "nothing: a row naming an unknown metric, ending before it starts, or giving a rate "
           "outside 0–1 is refused with the reason.")
goals_parts.targets_editor(segments)

st.subheader("Proposed targets")
if context.as_of_default() is None:
    st.info("No data yet: proposals come from the history. Load data on the **Data** page, or "
            "create the demo data set with `csm demo`.")
else:
    goals_parts.proposals()

st.subheader("Benchmarks")
goals_parts.benchmarks()

st.subheader("Alert rules")
st.caption("Checked after every import and on demand. Examples: nps of Enterprise below 20 "
           "(kind threshold); logo_churn worse than target (kind target).")
goals_parts.rules_editor(segments)

st.subheader("Alert history")
goals_parts.rules_history()
