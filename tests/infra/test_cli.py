"""The command line's contract, as a new user meets it: every command, with each kind of mistake
people make, run as the installed ``safeguarding`` console script in a fresh folder.

For every row: the exit status is the one ``schemas.errors.ExitCode`` promises (and the README
states), stderr is exactly one line naming the problem (never a traceback), and nothing was
written: neither the working folder nor any folder given on the command line changed. No row
needs a broker or a warehouse server: what would need one fails before contacting it (or, for an
unreachable warehouse, on the first attempt). The rows run a few at a time, in one fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infra.cli import build_parser, main
from schemas.errors import ExitCode

SCRIPT = Path(sys.executable).with_name("safeguarding")
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "events.jsonl"
NO_BROKER = "127.0.0.1:9"  # nothing listens on the discard port
NO_SERVER = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    code: ExitCode
    says: str  # a part of the one line on stderr
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes = b""

    @property
    def id(self) -> str:
        env = " ".join(f"{k}={v}" for k, v in self.env.items())
        return " ".join(filter(None, (env, *self.argv)))[:90]


def case(*argv: str, code: ExitCode, says: str, env: dict[str, str] | None = None, stdin: bytes = b"") -> Case:
    return Case(argv, code, says, env or {}, stdin)


USAGE, INVALID, UNAVAILABLE = ExitCode.USAGE, ExitCode.INVALID, ExitCode.UNAVAILABLE
ARRAY_HINT = "is a JSON array; expected JSON Lines"

# Each kind of bad input, for every command that takes it. Paths are relative to the fresh working
# folder, which holds: good.jsonl, empty.jsonl, blank.jsonl (newlines only), garbage.bin (random
# bytes), array.json (a pretty-printed JSON array of events), adir/ (an empty folder) and
# nowarehouse/ (a folder without a warehouse).
CASES = [
    # --- run ---
    case("run", "--events", "good.jsonl", "--data-dir", "/proc/nope", code=USAGE, says="--data-dir /proc/nope"),
    case("run", "--events", "good.jsonl", "--data-dir", "garbage.bin", code=USAGE,
         says="--data-dir garbage.bin is a file, not a folder"),
    case("run", "--events", "good.jsonl", "--data-dir", "garbage.bin/sub", code=USAGE,
         says="garbage.bin is a file, not a folder"),
    case("run", "--events", "empty.jsonl", "--data-dir", "d", code=INVALID, says="empty.jsonl is empty"),
    case("run", "--events", "blank.jsonl", "--data-dir", "d", code=INVALID, says="blank.jsonl is empty"),
    case("run", "--events", "garbage.bin", "--data-dir", "d", code=INVALID, says="garbage.bin is binary data"),
    case("run", "--events", "array.json", "--data-dir", "d", code=INVALID, says=ARRAY_HINT),
    case("run", "--events", "adir", "--data-dir", "d", code=USAGE, says="adir: is a directory"),
    case("run", "--events", "missing.jsonl", "--data-dir", "d", code=USAGE,
         says="cannot read missing.jsonl: No such file or directory"),
    case("run", "--events", "good.jsonl", "--data-dir", "d", "--timeout", "-1", code=USAGE,
         says="--timeout must be a positive number of seconds"),
    case("run", "--events", "good.jsonl", code=USAGE, says="CSPR_DATA_DIR garbage.bin is a file",
         env={"CSPR_DATA_DIR": "garbage.bin"}),
    case("run", code=USAGE, says="the following arguments are required: --events"),
    # --- validate ---
    case("validate", "empty.jsonl", code=INVALID, says="empty.jsonl is empty: no events to read"),
    case("validate", "garbage.bin", code=INVALID, says="garbage.bin is binary data, not JSON Lines"),
    case("validate", "array.json", code=INVALID, says=ARRAY_HINT),
    case("validate", "adir", code=USAGE, says="cannot read adir: is a directory"),
    case("validate", "missing.jsonl", code=USAGE, says="cannot read missing.jsonl: No such file or directory"),
    case("validate", "-", code=INVALID, says="standard input is empty"),
    case("validate", "-", code=INVALID, says="standard input " + ARRAY_HINT, stdin=b'[\n  {"id": "x"}\n]\n'),
    case("validate", "good.jsonl", code=USAGE, says="CSPR_WORKER_WEB_PORT", env={"CSPR_WORKER_WEB_PORT": "abc"}),
    case("validate", "good.jsonl", code=USAGE, says="CSPR_TOPIC_PARTITIONS", env={"CSPR_TOPIC_PARTITIONS": "many"}),
    case("validate", code=USAGE, says="the following arguments are required: file"),
    # --- produce: a bad file fails before the broker is waited for ---
    case("produce", "adir", code=USAGE, says="cannot read adir: is a directory"),
    case("produce", "empty.jsonl", "--bootstrap-servers", NO_BROKER, code=INVALID, says="empty.jsonl is empty"),
    case("produce", "garbage.bin", "--bootstrap-servers", NO_BROKER, code=INVALID, says="garbage.bin is binary"),
    case("produce", "array.json", "--bootstrap-servers", NO_BROKER, code=INVALID, says=ARRAY_HINT),
    case("produce", "good.jsonl", code=USAGE,
         says="invalid setting CSPR_KAFKA_BOOTSTRAP_SERVERS: must be 'embedded' or host:port[,host:port] (got 'bad')",
         env={"CSPR_KAFKA_BOOTSTRAP_SERVERS": "bad"}),
    # --- simulate ---
    case("simulate", "--scenario", "report-2020", "--cases", "10", "--out", "x.jsonl", code=USAGE,
         says="--cases: only for --scenario random"),
    case("simulate", "--scenario", "random", "--out", "adir", code=USAGE, says="--out adir is a folder"),
    case("simulate", "--scenario", "random", "--out", "nofolder/x.jsonl", code=USAGE, says="does not exist"),
    case("simulate", "--scenario", "random", "--out", "x.jsonl", "--cases", "many", code=USAGE,
         says="--cases: invalid int value: 'many'"),
    # --- worker ---
    case("worker", "--bootstrap-servers", NO_BROKER, "--data-dir", "garbage.bin", code=USAGE,
         says="--data-dir garbage.bin is a file"),
    case("worker", "--bootstrap-servers", NO_BROKER, "--web-port", "70000", code=USAGE,
         says="--web-port must be a port 0..65535"),
    case("worker", code=USAGE, says="CSPR_KAFKA_BOOTSTRAP_SERVERS", env={"CSPR_KAFKA_BOOTSTRAP_SERVERS": "bad"}),
    # --- up and demo ---
    case("up", "--data-dir", "garbage.bin", code=USAGE, says="--data-dir garbage.bin is a file"),
    case("up", "--data-dir", "d", "--events", "empty.jsonl", code=INVALID, says="empty.jsonl is empty"),
    case("up", "--data-dir", "d", "--events", "adir", code=USAGE, says="is a directory"),
    case("up", "--data-dir", "d", "--briefing-port", "http", code=USAGE, says="--briefing-port must be a port"),
    case("demo", "--data-dir", "/proc/nope", code=USAGE, says="--data-dir /proc/nope"),
    case("demo", "--data-dir", "garbage.bin", code=USAGE, says="--data-dir garbage.bin is a file"),
    # --- dbt: never creates a warehouse ---
    case("dbt", code=USAGE, says="give dbt a command"),
    case("dbt", "build", "--data-dir", "nowarehouse", code=USAGE, says="--data-dir nowarehouse holds no warehouse"),
    case("dbt", "--data-dir", "missing", "build", code=USAGE, says="--data-dir missing holds no warehouse"),
    case("dbt", "build", code=USAGE, says="CSPR_DATA_DIR holds no warehouse"),
    case("dbt", "ls", code=UNAVAILABLE, says="cannot reach the ClickHouse server at http://127.0.0.1:9",
         env={"CSPR_CLICKHOUSE_URL": NO_SERVER}),
    # --- report ---
    case("report", code=USAGE, says="the following arguments are required: REPORT"),
    case("report", "figures", "--year", "2020", "--as-of", "2021-03-31", code=USAGE,
         says="CSPR_DATA_DIR holds no warehouse"),
    case("report", "figures", "--year", "2020", "--as-of", "2021-03-31", "--data-dir", "nowarehouse", code=USAGE,
         says="--data-dir nowarehouse holds no warehouse; run `safeguarding run` or `safeguarding up` first"),
    case("report", "figures", "--year", "2020", "--as-of", "2021-03-31", "--data-dir", "garbage.bin", code=USAGE,
         says="--data-dir garbage.bin is a file"),
    case("report", "figures", "--year", "20x0", "--as-of", "2021-03-31", code=USAGE, says="--year must be a year"),
    case("report", "figures", "--year", "2020", "--as-of", "2021-03-31", code=UNAVAILABLE,
         says="cannot reach the ClickHouse server at http://127.0.0.1:9 (CSPR_CLICKHOUSE_URL): Connection refused",
         env={"CSPR_CLICKHOUSE_URL": NO_SERVER}),
    case("report", "briefing", "--quarter", "2020Q3", "--out", "b.html", "--data-dir", "nowarehouse", code=USAGE,
         says="holds no warehouse"),
    case("report", "briefing", "--quarter", "2020Q3", "--out", "adir", code=USAGE, says="--out must be an .html"),
    case("report", "briefing", "--quarter", "2020Q3", "--out", "adir.html", "--data-dir", "nowarehouse",
         code=USAGE, says="--out adir.html is a folder; give a file name"),
    case("report", "briefing", "--quarter", "2020-3", "--out", "b.html", code=USAGE, says="--quarter must look like"),
    case("report", "briefing", "--quarter", "2020Q3", "--out", "b.html", code=UNAVAILABLE,
         says="cannot reach the ClickHouse server", env={"CSPR_CLICKHOUSE_URL": NO_SERVER}),
    # --- the top level ---
    case(code=USAGE, says="the following arguments are required: COMMAND"),
    case("nonsense", code=USAGE, says="invalid choice: 'nonsense'"),
]


def _inputs(folder: Path) -> None:
    (folder / "good.jsonl").write_bytes(EXAMPLES.read_bytes())
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "blank.jsonl").write_bytes(b"\n\n  \n")
    (folder / "garbage.bin").write_bytes(os.urandom(4096))
    events = EXAMPLES.read_text().splitlines()
    (folder / "array.json").write_text("[\n" + ",\n".join("  " + e for e in events) + "\n]\n")
    (folder / "adir").mkdir()
    (folder / "adir.html").mkdir()
    (folder / "nowarehouse").mkdir()


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    # A row that waited for a broker would wait 600 s and hit the 120 s timeout of the run: a
    # failure that names the row, with no timing assertion to flake on a busy machine.
    return {**env, "COLUMNS": "200", "CSPR_KAFKA_CONNECT_TIMEOUT_S": "600", **extra}


@dataclass
class Outcome:
    proc: subprocess.CompletedProcess[str]
    before: dict[str, tuple[int, int]]
    after: dict[str, tuple[int, int]]


def _run_case(root: Path, index: int, c: Case) -> Outcome:
    cwd = root / f"case-{index}"
    cwd.mkdir()
    _inputs(cwd)
    before = _tree(cwd)
    proc = subprocess.run([str(SCRIPT), *c.argv], cwd=cwd, env=_env(c.env), input=c.stdin.decode(),
                          capture_output=True, text=True, timeout=120, check=False)
    return Outcome(proc, before, _tree(cwd))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Outcome]:
    root = tmp_path_factory.mktemp("cli")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {i: pool.submit(_run_case, root, i, c) for i, c in enumerate(CASES)}
        return {i: f.result() for i, f in futures.items()}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
def test_a_mistake_is_one_line_the_promised_exit_status_and_writes_nothing(outcomes: dict[int, Outcome],
                                                                          index: int) -> None:
    c, out = CASES[index], outcomes[index]
    assert "Traceback" not in out.proc.stderr, out.proc.stderr
    lines = out.proc.stderr.splitlines()
    assert len(lines) == 1, out.proc.stderr
    assert c.says in lines[0], lines[0]
    assert lines[0].startswith("safeguarding"), lines[0]
    assert out.proc.returncode == c.code, out.proc.stderr
    assert out.after == out.before, "wrote " + ", ".join(sorted(set(out.after) ^ set(out.before)))


def test_nothing_is_written_outside_the_folders_given() -> None:
    """/proc refuses even root: the probe for a writable --data-dir left nothing behind."""
    assert not any(Path("/proc").glob(".cspr-probe-*"))


def _commands() -> list[tuple[str, ...]]:
    """Every command and sub-command of the parser, as the words a user types."""
    import argparse

    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        for action in parser._actions:  # argparse has no public way to list sub-commands
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found.append((*words, name))
                    walk(child, (*words, name))

    walk(build_parser(), ())
    return found


COMMANDS = _commands()


def test_every_command_in_the_readme_is_a_command() -> None:
    assert {c[0] for c in COMMANDS} >= {"validate", "produce", "simulate", "worker", "run", "up", "dbt",
                                        "report", "dashboards", "demo"}
    assert ("report", "figures") in COMMANDS and ("report", "briefing") in COMMANDS


@pytest.fixture(scope="module")
def helps(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("help")

    def run(argv: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        # a bad setting must not stop --help
        return subprocess.run([str(SCRIPT), *argv, "--help"], cwd=cwd, env=_env({"CSPR_WORKER_WEB_PORT": "abc"}),
                              capture_output=True, text=True, timeout=120, check=False)

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {words: pool.submit(run, words) for words in [(), *COMMANDS]}
        result = {words: f.result() for words, f in futures.items()}
    assert not any(cwd.iterdir()), "help wrote something"
    return result


@pytest.mark.parametrize("words", [(), *COMMANDS], ids=lambda w: " ".join(w) or "safeguarding")
def test_every_command_and_sub_command_has_help(helps: dict[tuple[str, ...], subprocess.CompletedProcess[str]],
                                                 words: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    proc = helps[words]
    assert proc.returncode == 0, proc.stderr
    usage = "usage: safeguarding" + "".join(" " + w for w in words)
    assert proc.stdout.startswith(usage), proc.stdout[:200]
    assert proc.stderr == ""
    with pytest.raises(SystemExit) as done:  # -h too (in this process: the same parser, a second faster)
        main([*words, "-h"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(usage)


def test_the_top_level_help_states_every_exit_status(helps: dict[tuple[str, ...], subprocess.CompletedProcess[str]]
                                                      ) -> None:
    text = " ".join(helps[()].stdout.split())
    for code in ExitCode:
        assert f"{code.value} " in text, code
    assert "130 interrupted" in text


def test_dbt_help_is_ours_and_dbt_command_help_is_dbts(tmp_path: Path) -> None:
    ours = subprocess.run([str(SCRIPT), "dbt", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ours.returncode == 0 and "DBT_COMMAND" in ours.stdout
    theirs = subprocess.run([str(SCRIPT), "dbt", "build", "--help"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert theirs.returncode == 0 and "--select" in theirs.stdout
    assert not any(tmp_path.iterdir())


def test_version() -> None:
    from importlib import metadata

    proc = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"safeguarding {metadata.version('cspr-platform')}\n")
