"""A human legibility study: items from runs' samples, raters with access codes, timed judging
in the browser, and the results (docs/study.md)."""
