"""Make the repository's packages and the test helpers (``tiny``) importable without installing."""
import sys
from pathlib import Path

for path in (Path(__file__).resolve().parent.parent, Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import pytest  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "scenarios"


def shared_path(name: str) -> Path:
    path = SHARED / f"{name}.json"
    if not path.exists():
        pytest.skip(f"reference scenario {path} not present (it sits beside the repository in CI)")
    return path


@pytest.fixture
def shared_scenarios() -> list[Path]:
    return [shared_path(n) for n in ("small", "medium", "large", "eu")]


@pytest.fixture
def service(tmp_path):
    """The planning service on a fresh database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
    from service import make_service

    svc = make_service(tmp_path)
    yield svc
    svc.db.dispose()
