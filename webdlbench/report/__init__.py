"""The static report: figures and tables of the paper regenerated from a results store."""
