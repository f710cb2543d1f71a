"""The render layer: DataFrames and metric results -> Plotly figures (`render.charts`), and the
weekly meeting pack as HTML, PDF or PowerPoint (`render.report`). Both the dashboard and
`csm report` draw through it; it never imports Streamlit, and metrics/ never imports it."""
