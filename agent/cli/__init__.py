"""The `sdr` command line: a thin layer over the same functions tests and servers call."""
