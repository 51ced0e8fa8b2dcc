"""Pure functions over the store's data frames: summaries and confidence intervals. No I/O."""
