"""``python -m vaekit``: the command line, as ``vaekit`` (and ``torchrun -m vaekit train ...``)."""

from vaekit.cli import main

if __name__ == "__main__":
    main()
