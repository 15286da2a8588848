"""``python -m tradetalks`` runs the CLI."""

from tradetalks.cli import main

main()
