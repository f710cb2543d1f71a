"""Every chart of the render layer: plot_* builders, DataFrame -> Plotly figure, used by the
dashboard pages and the meeting pack alike (`from render import charts; charts.plot_trend(...)`).

No Streamlit here. Targets, benchmark bands, confidence bands and partial periods look the same
on every chart. Text that comes from data is escaped before Plotly sees it (Plotly renders a
subset of HTML in labels and hovers). The look (template, palette, colours) is render.theme.
"""

from render.charts.bars import plot_bars, plot_category_bars
from render.charts.health import (
    COMPONENT_LABELS,
    plot_account_health,
    plot_backtest,
    plot_band_mix,
    plot_contributions,
    plot_health_histogram,
    plot_owner_mix,
)
from render.charts.retention import plot_cohorts, plot_survival
from render.charts.revenue import (
    MOVEMENTS,
    plot_account_mrr,
    plot_movements,
    plot_renewal_calendar,
    plot_waterfall,
)
from render.charts.support import plot_distribution, plot_volume
from render.charts.survey import (
    CATEGORY_LABELS,
    plot_category_mix,
    plot_comment_points,
    plot_forest,
    plot_revenue_by_category,
    plot_score_distribution,
    plot_survey_trend,
    plot_theme_impact,
)
from render.charts.trends import plot_group_lines, plot_lines, plot_trend
from render.charts.usage import plot_adoption, plot_heatmap
from render.charts.weekly import plot_kpi_changes, plot_mrr_movers
from render.theme import (
    BAND_COLORS,
    CATEGORY_COLORS,
    MUTED,
    PALETTE,
    PRIMARY,
    TEXT,
    safe_label,
    wrap_label,
)

__all__ = [
    "BAND_COLORS", "CATEGORY_COLORS", "CATEGORY_LABELS", "COMPONENT_LABELS", "MOVEMENTS",
    "MUTED", "PALETTE", "PRIMARY", "TEXT", "plot_account_health", "plot_account_mrr",
    "plot_adoption", "plot_backtest", "plot_band_mix", "plot_bars", "plot_category_bars",
    "plot_category_mix", "plot_cohorts", "plot_comment_points", "plot_contributions",
    "plot_distribution", "plot_forest", "plot_group_lines", "plot_health_histogram",
    "plot_heatmap", "plot_kpi_changes", "plot_lines", "plot_movements", "plot_mrr_movers",
    "plot_owner_mix", "plot_renewal_calendar", "plot_revenue_by_category",
    "plot_score_distribution", "plot_survey_trend", "plot_survival", "plot_theme_impact",
    "plot_trend", "plot_volume", "plot_waterfall", "safe_label", "wrap_label",
]
