"""The `convgrade` command line."""
import argparse
import sys

from autograder import __version__


def main(argv=None):
    parser = argparse.ArgumentParser(prog="convgrade", description=__doc__)
    parser.add_argument("--version", action="version", version=f"convgrade {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
