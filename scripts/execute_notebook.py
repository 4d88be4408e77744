"""Execute a lesson in a real kernel on a GPU machine; keep the executed copy; print its GPU cells.

Used by the GPU runner scripts (scripts/gpu_partition.sh, scripts/gpu_export.sh) on a machine that
has torch and CUDA but no jupyter: nbclient and ipykernel come from the wheels in .whl/ (see
scripts/gpu_common.sh). Writes OUTDIR/<lesson>.ipynb with its outputs and OUTDIR/<stem>_gpu_cells.txt
with the output of every cell that checks ``torch.cuda.is_available()``; exits 1 if a cell failed.

    python scripts/execute_notebook.py notebooks/05_partitioning.ipynb OUTDIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text if output.name == "stdout" else ""
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}\n"
    plain = output.get("data", {}).get("text/plain", "")
    return plain + "\n" if plain else ""


def main(lesson: Path, out: Path) -> int:
    nb = nbformat.read(lesson, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(lesson.parent)}})
    failure = None
    try:
        client.execute()
    except Exception as error:  # keep what ran, report the failing cell below
        failure = error
    nbformat.write(nb, out / lesson.name)
    stem = lesson.stem.split("_")[0]
    with open(out / f"notebook_{stem}_gpu_cells.txt", "w") as summary:
        for number, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
            if "torch.cuda.is_available()" in cell.source:
                block = f"--- code cell {number}: {cell.source.splitlines()[0]}\n" + "".join(_text(o) for o in cell.get("outputs", []))
                summary.write(block + "\n")
                print(block)
    if failure is not None:
        print(f"NOTEBOOK FAILED: {type(failure).__name__}: {str(failure)[-3000:]}")
        return 1
    print(f"{lesson.name} ran to the end")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
