"""The report's sections, one module per part of the paper (RQ1, RQ2, RQ3, findings, method)."""
