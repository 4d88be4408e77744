"""Where each operation of a graph should run: accelerator or CPU fallback, as pure data.

One concept: partitioning proposed before it is applied. ``support`` holds the small composable
predicates that say which nodes an accelerator takes (and why not), ``proposal`` groups the
supported nodes into segments with the fewest host <-> accelerator copies, and ``plan`` is the
record of a partition (placements, reasons, transfers) that ``toolkit.partition`` applies and
``toolkit.render`` draws; ``plan_codec`` carries a plan as JSON inside a module and
``plan_report`` prints it the torch-neuron way. Nothing here builds or runs a module.
"""
