"""The `omix` command line: argument parsing here, execution in the application modules."""
