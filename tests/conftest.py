"""Make the repository's packages and the test helpers (``tiny``) importable without installing."""
import sys
from pathlib import Path

for path in (Path(__file__).resolve().parent.parent, Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
