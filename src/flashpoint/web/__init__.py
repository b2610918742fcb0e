"""The web dashboard: pages served by the API process, charts with Vega-Lite, all assets local."""
