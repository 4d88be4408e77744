"""Pure functions over the IR (and the eager module where needed): diffs, checks, partitions."""
