"""The browser pages: server-rendered Jinja2 with HTMX, charts by vega-embed, en/nl."""
