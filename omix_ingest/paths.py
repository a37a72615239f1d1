"""Where omix-ingest keeps its state: the local atlas's data directory and the user's configuration directory.

Both follow the platform's conventions (platformdirs) and can be moved with an environment variable, which is how
tests and CI keep a user's real folders untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "omix-ingest"
DATA_DIR_ENV = "OMIX_DATA_DIR"
CONFIG_DIR_ENV = "OMIX_CONFIG_DIR"
CACHE_DIR_ENV = "OMIX_CACHE_DIR"
# The ontology indexes can live apart from the rest of the cache: they are large, slow to build and shared by
# every project (and by test sessions, which otherwise get a fresh cache each test).
ONTOLOGY_DIR_ENV = "OMIX_ONTOLOGY_DIR"


def data_dir(override: Path | None = None) -> Path:
    if override is not None:
        return override
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else Path(platformdirs.user_data_dir(APP))


def config_dir() -> Path:
    env = os.environ.get(CONFIG_DIR_ENV)
    return Path(env) if env else Path(platformdirs.user_config_dir(APP))


def cache_dir() -> Path:
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else Path(platformdirs.user_cache_dir(APP))


def ontology_dir() -> Path:
    env = os.environ.get(ONTOLOGY_DIR_ENV)
    return Path(env) if env else cache_dir() / "ontologies"
