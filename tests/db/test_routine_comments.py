"""Every routine file follows procedures/TEMPLATE.sql, and says what it is where a DBA looks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.config import REPO_ROOT
from scripts.migrate import TEMPLATE_FILE, repeatable_files

TEMPLATE = REPO_ROOT / "procedures" / TEMPLATE_FILE
ROUTINE_FILES = repeatable_files(REPO_ROOT, "procedures")
# The template's own header follows the template.
HEADED_FILES = [*ROUTINE_FILES, TEMPLATE]

TAG = re.compile(r"^-- (Parameters|Returns|Errors|Example):(?: (.*))?$")
TAG_ORDERS = (["Parameters", "Errors", "Example"], ["Parameters", "Returns", "Errors", "Example"])
PARAMETER_LINE = re.compile(r"^--   (p_\w+)( {2,})(\S.*)$")
CREATE = re.compile(r"^CREATE (PROCEDURE|FUNCTION) (\w+)\(", re.MULTILINE)
COMMENT = re.compile(r"^COMMENT '((?:[^']|'')*)'$", re.MULTILINE)
# The one exit handler of a procedure that owns its transaction: roll back, then re-signal.
# Between the two only cleanup of the procedure's own (sp_check_integrity's named lock).
EXIT_HANDLER = re.compile(
    r"^(?P<indent> +)DECLARE EXIT HANDLER FOR SQLEXCEPTION\n"
    r"(?P=indent)BEGIN\n"
    r"(?P=indent)    ROLLBACK;\n"
    r"(?:(?P=indent)    (?!RESIGNAL;).*\n)*?"
    r"(?P=indent)    RESIGNAL;\n"
    r"(?P=indent)END;$",
    re.MULTILINE,
)


def create_parameters(text: str) -> tuple[str, str, list[str]]:
    """The kind, name and `p_` parameters, in order, of the file's CREATE statement."""
    match = CREATE.search(text)
    assert match, "no CREATE PROCEDURE/FUNCTION"
    depth, end = 1, match.end()
    while depth:
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        end += 1
    names = re.findall(r"\b(p_\w+)\s+[A-Z]", text[match.end():end - 1])
    return match.group(1), match.group(2), names


def header_problems(path: Path) -> list[str]:
    """How the file's header departs from the template (empty when it follows it)."""
    text = path.read_text()
    kind, name, parameters = create_parameters(text)
    lines = text.splitlines()
    size = next(i for i, line in enumerate(lines) if not line.startswith("--"))
    header, rest = lines[:size], lines[size:]
    problems: list[str] = []
    expected_stem = "sp_name" if path == TEMPLATE else path.stem
    if name != expected_stem:
        problems.append(f"the file defines {name}")
    if rest[:2] != [f"DROP {kind} IF EXISTS {name};", "DELIMITER $$"] or not rest[2].startswith(
            f"CREATE {kind} {name}("):
        problems.append("the header is not followed by DROP ... IF EXISTS, DELIMITER $$, CREATE")
    if not re.fullmatch(rf"-- {name}: \S.*\.", header[0]):
        problems.append(f"the first line is not '-- {name}: one sentence.'")
    comment = COMMENT.search(text)
    if comment is None or comment.group(1).replace("''", "'") != header[0][3:]:
        problems.append("COMMENT '...' is not the header's first line")
    if any(not line.startswith("-- ") for line in header):
        problems.append("a header line is not '-- text' (no blank comment lines)")

    tags = [(i, match.group(1), match.group(2)) for i, line in enumerate(header)
            if (match := TAG.match(line))]
    found = [tag for _, tag, _ in tags]
    if found not in TAG_ORDERS:
        return [*problems, f"sections {found}, not {' or '.join(map(str, TAG_ORDERS))}"]
    ends = [i for i, _, _ in tags[1:]] + [size]
    sections = {tag: (i, value, header[i + 1:end])
                for (i, tag, value), end in zip(tags, ends, strict=True)}

    _, value, block = sections["Parameters"]
    if value == "none":
        if parameters or block:
            problems.append("'-- Parameters: none' for a routine with parameters")
    elif value is not None:
        problems.append("parameters inline: '-- Parameters:' then one '--   p_x  meaning' a line")
    else:
        rows = [PARAMETER_LINE.match(line) for line in block]
        named = [row.group(1) for row in rows if row]
        if named != parameters:
            problems.append(f"the Parameters block names {named}, the CREATE {parameters}")
        elif parameters:
            column = 5 + max(map(len, parameters)) + 2
            for line, row in zip(block, rows, strict=True):
                start = row.start(3) if row else len(line) - len(line[2:].lstrip())
                if start != column:
                    problems.append(f"not aligned at column {column + 1}: {line!r}")

    for tag in ("Returns", "Errors", "Example"):
        if tag in sections:
            _, value, block = sections[tag]
            if not value or any(not line.startswith("--  ") for line in block):
                problems.append(f"'-- {tag}: ...' is empty or its continuation is not indented")
    example = sections["Example"][1] or ""
    verb = "CALL" if kind == "PROCEDURE" else "SELECT"
    if not example.startswith(f"{verb} {name}("):
        problems.append(f"the example is not '{verb} {name}(...)'")
    return problems


@pytest.mark.parametrize("path", HEADED_FILES, ids=lambda path: path.name)
def test_every_routine_file_header_follows_the_template(path: Path) -> None:
    assert header_problems(path) == []


@pytest.mark.parametrize("path", HEADED_FILES, ids=lambda path: path.name)
def test_a_procedure_that_owns_its_transaction_has_the_one_exit_handler(path: Path) -> None:
    text = path.read_text()
    handlers = text.count("HANDLER FOR SQLEXCEPTION")
    if "START TRANSACTION" in text:
        assert handlers == 1
        assert EXIT_HANDLER.search(text), "spell it as procedures/TEMPLATE.sql does"
    else:
        assert handlers == 0, "only a procedure that owns its transaction rolls back"


def test_a_header_that_drifts_is_named(tmp_path: Path) -> None:
    source = (REPO_ROOT / "procedures" / "sp_release_hold.sql").read_text()
    drifted = tmp_path / "sp_release_hold.sql"
    drifted.write_text(source.replace("--   p_actor_id", "--  p_actor_id"))
    assert header_problems(drifted) == [
        "the Parameters block names ['p_hold_id'], the CREATE ['p_hold_id', 'p_actor_id']"]
    drifted.write_text(source.replace("-- Example: ", "-- For example: "))
    assert header_problems(drifted)[0].startswith("sections ['Parameters', 'Errors']")


def test_every_routine_carries_its_header_line_as_its_comment(admin_conn, database):
    with admin_conn.cursor() as cur:
        cur.execute("SELECT ROUTINE_NAME AS name, ROUTINE_COMMENT AS comment"
                    " FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s", (database,))
        routines = {row["name"]: row["comment"] for row in cur.fetchall()}
    assert "sp_name" not in routines  # the migrator does not load the template
    files = {path.stem: path for path in ROUTINE_FILES}
    assert set(files) <= set(routines)
    for name, path in files.items():
        assert routines[name] == path.read_text().splitlines()[0][3:], name
