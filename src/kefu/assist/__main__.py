"""`python -m kefu.assist …` runs the coach's CLI (see kefu/assist/cli.py)."""

from kefu.assist.cli import app

if __name__ == "__main__":
    app()
