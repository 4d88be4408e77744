"""nbval hooks for the lessons.

stderr carries warnings whose wording changes with torch releases (TracerWarning text, the
toolkit's one-time deprecation note); lessons print what matters to stdout instead.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
