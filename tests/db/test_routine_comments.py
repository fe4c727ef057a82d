"""Every routine says what it is where a DBA looks: information_schema.ROUTINES."""

from __future__ import annotations

from api.config import REPO_ROOT


def test_every_routine_carries_its_header_line_as_its_comment(admin_conn, database):
    with admin_conn.cursor() as cur:
        cur.execute("SELECT ROUTINE_NAME AS name, ROUTINE_COMMENT AS comment"
                    " FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s", (database,))
        routines = {row["name"]: row["comment"] for row in cur.fetchall()}
    files = {path.stem: path for path in (REPO_ROOT / "procedures").glob("*.sql")}
    assert set(files) <= set(routines)
    for name, path in files.items():
        comment = routines[name]
        assert comment.startswith(f"{name}: "), (name, comment)
        header = " ".join(line[3:].strip() for line in path.read_text().splitlines()
                          if line.startswith("-- "))
        # The comment is the header's opening sentence (some shortened by hand).
        assert header.startswith(comment[:40]), (name, comment)
