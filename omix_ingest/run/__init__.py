"""One validation run: its configuration, the plan of files, the runner that produces the Report."""
