"""The vaekit command line (placeholder while it is written)."""


def main() -> None:
    raise SystemExit("vaekit: the command line is being written")
