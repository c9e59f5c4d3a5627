"""One module per ``parkvakt`` subcommand, each exposing ``command``."""
