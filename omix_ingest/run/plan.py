"""Planning a run: which files to validate, found from paths on the command line or `--metadata`/`--data` folders.

Folders are walked (hidden entries skipped, symbolic links that leave the folder reported and not followed);
a path that does not exist becomes a finding in the report, never an exception. Files found in a `--metadata` or
`--data` folder carry that role, which turns on dataset pairing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from validators.core.model import Finding
from validators.core.unreadable import MISSING_FILE, UNREADABLE, link_problem

ROLE_PATH, ROLE_METADATA, ROLE_DATA = "path", "metadata", "data"


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    role: str = ROLE_PATH
    explicit: bool = False  # named on the command line (not found in a folder): it must be checked


@dataclass
class Plan:
    files: list[PlannedFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # problems found while planning (missing paths...)
    metadata_folders: list[str] = field(default_factory=list)
    data_folders: list[str] = field(default_factory=list)
    paired: bool = False  # named files paired by dataset id (see RunInputs.pair_files)
    left_out: list[str] = field(default_factory=list)  # named but not checked (not datasets), reported as skipped

    @property
    def dataset_mode(self) -> bool:
        return bool(self.metadata_folders or self.data_folders or self.paired)

    def add_file(self, path: Path, role: str) -> None:
        """A named file with the role a folder would have given it."""
        if path.exists() or path.is_symlink():
            self.files.append(PlannedFile(path, role, explicit=True))
        else:
            self.findings.append(MISSING_FILE.finding(str(path), path=str(path)))

    def add_path(self, path: Path) -> None:
        if path.is_dir():
            self.add_folder(path)
        elif path.exists() or path.is_symlink():
            self.files.append(PlannedFile(path, explicit=True))
        else:
            self.findings.append(MISSING_FILE.finding(str(path), path=str(path)))

    def add_folder(self, root: Path, role: str = ROLE_PATH) -> None:
        if role == ROLE_METADATA:
            self.metadata_folders.append(str(root))
        elif role == ROLE_DATA:
            self.data_folders.append(str(root))
        if not root.is_dir():
            if root.exists():  # --metadata or --data naming a file: say so, not "does not exist"
                detail = "it is a file, where a folder was expected"
                self.findings.append(UNREADABLE.finding(str(root), detail=detail))
            else:
                self.findings.append(MISSING_FILE.finding(str(root), path=str(root)))
            return
        for folder, dirs, names in walk_top_down(root, self._walk_error):
            base = Path(folder)
            kept_dirs = []
            for name in sorted(dirs):
                if not name.startswith(".") and self._plain(base / name, root):
                    kept_dirs.append(name)  # never walk into linked folders: loops and duplicates
            dirs[:] = kept_dirs
            for name in sorted(names):
                if not name.startswith(".") and self._plain(base / name, root, linked_ok=True):
                    self.files.append(PlannedFile(base / name, role))

    def _plain(self, path: Path, root: Path, *, linked_ok: bool = False) -> bool:
        """Whether a walked entry is kept: not a link (or, with `linked_ok`, a link that stays inside `root`).
        A link that leaves, a link loop, or an entry whose path is too long to look at (a tree thousands of
        levels deep passes PATH_MAX) is a finding instead."""
        try:
            if not path.is_symlink():
                return True
        except OSError as error:  # pathlib ignores only "missing"-like errors here, not ENAMETOOLONG
            self._walk_error(error)
            return False
        problem = link_problem(path, root)
        if problem is not None:
            self.findings.append(problem)
        return linked_ok and problem is None

    def _walk_error(self, error: OSError) -> None:
        where = str(error.filename or "")
        self.findings.append(UNREADABLE.finding(where, detail=error.strerror or type(error).__name__))

    def deduplicated(self) -> list[PlannedFile]:
        """Each file once; a role from a --metadata/--data folder wins over a plain path."""
        chosen: dict[str, PlannedFile] = {}
        for entry in self.files:
            key = os.path.normpath(str(entry.path))
            if key not in chosen or chosen[key].role == ROLE_PATH:
                chosen[key] = entry
        return list(chosen.values())


def walk_top_down(root: Path, onerror: Callable[[OSError], None]) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk(root)` top-down, without recursion: on Python 3.11 os.walk recurses once per folder level, so a
    tree deeper than the interpreter's recursion limit (a generated or hostile folder) would crash the run. As
    with os.walk, the caller may prune `dirs` in place before the walk goes down."""
    stack = [os.fspath(root)]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as scan:
                entries = list(scan)
        except OSError as error:
            onerror(error)
            continue
        dirs: list[str] = []
        names: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(entry.name)
        yield top, dirs, names
        stack.extend(str(Path(top) / name) for name in reversed(dirs))  # in the order the caller left them
