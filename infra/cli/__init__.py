"""The `govcloud` command: parse, call one layer, print."""
