"""Runners: measuring one spec. `skeleton.measure_spec` walks the steps every spec takes, once for
both sides; `browser.BrowserRunner` (fresh pages in a real browser) and `native.NativeRunner`
(fresh worker processes) each say only how to prepare a spec's files and how to run one replicate."""
