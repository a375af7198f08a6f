"""The app's panes, one module each: overview, so far off?, findings, data, places, rules.

Every pane is a widget with ``show(result, redacted)``: it renders what the pipeline
returned (the redacted copy when redaction is on) and owns its own widgets' messages.
"""
