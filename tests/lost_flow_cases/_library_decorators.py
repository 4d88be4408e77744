"""A decorator kept in its own file, as transformers keeps ``can_return_tuple`` in utils/generic.py.

Why a separate file: a decorated ``forward`` is a wrapper whose code object lives here; a
check that reads the wrapper's file with the wrapped function's line numbers names a line of
this file. The cases in :mod:`tests.lost_flow_cases.real_library_shapes` must be located in
their own file instead.
"""

import functools


def returns_what_it_returns(forward):
    """Like transformers' output-format decorators: call through, change nothing."""

    @functools.wraps(forward)
    def wrapper(self, *args, **kwargs):
        output = forward(self, *args, **kwargs)
        return output

    return wrapper
