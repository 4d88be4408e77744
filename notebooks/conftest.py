"""nbval hooks for the lessons.

stderr carries warnings whose wording changes with torch releases (TracerWarning text, the
toolkit's one-time deprecation note); lessons print what matters to stdout instead.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)

# Copies of lessons executed on a GPU machine (scripts/gpu_pipeline.sh, scripts/gpu_partition.sh):
# they record real device output for readers and are not re-run here, where there is no GPU.
collect_ignore = ["executed-on-gpu"]
