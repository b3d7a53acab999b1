"""Execute notebooks headlessly, as CI does; fail on any error or failed assert.

    python examples/notebooks/run.py                      # every notebook here
    python examples/notebooks/run.py quickstart.ipynb     # some of them

Each runs in its own folder (paths in the notebooks are relative to it) with its own
kernel (`kernelspec.name`: python3, or rust for evcxr). Outputs are not written back:
the notebooks stay as committed; pass --out DIR to keep the executed copies.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="notebooks (default: every *.ipynb here)")
    ap.add_argument("--out", type=Path, help="write the executed notebooks into this folder")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    args = ap.parse_args()
    paths = [Path(p) if os.sep in p else HERE / p for p in args.notebooks] or sorted(HERE.glob("*.ipynb"))
    failed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
        t0 = time.perf_counter()
        client = NotebookClient(
            nb,
            timeout=args.timeout,
            kernel_name=kernel,
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
            status = "ok"
        except CellExecutionError as e:
            status = "FAILED"
            failed.append(path.name)
            print(str(e)[-3000:], file=sys.stderr)
        print(f"notebook {path.name} ({kernel}): {status} in {time.perf_counter() - t0:.1f} s", flush=True)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, args.out / path.name)
    print(f"notebooks: {len(paths) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
