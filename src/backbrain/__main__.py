"""The `backbrain` executable and `python -m backbrain`.

`backbrain --version` is answered here, before click and the command modules are imported, so it
starts in little more than the interpreter's own start-up (measured in bench/check.py).
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from backbrain import __version__

        print(f"backbrain, version {__version__}")
        return
    from backbrain.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
