"""Pure functions over the IR and the eager module: two analyses and the diff they share.

``lost_flow`` finds what tracing loses (``check_trace``); ``partition`` proposes where each op
runs (accelerator or CPU fallback); ``diff`` compares a traced graph with a scripted one.
"""
