"""The in-process dbt runner: arguments and variables reach dbt as given, settings fill the rest."""

from __future__ import annotations

import json

import pytest

from infra.warehouse.dbt_runner import DbtError, _with_default_vars, project_dir


def test_the_settings_threshold_is_added_unless_vars_give_one():
    args = _with_default_vars(["build", "--vars", "{as_of: 2021-03-31}", "--select", "x"], {"suppression_threshold": 3})
    assert args[:3] == ["build", "--select", "x"]
    assert json.loads(args[4]) == {"suppression_threshold": 3, "as_of": "2021-03-31"}
    given = _with_default_vars(["build", "--vars", "{suppression_threshold: 5}"], {"suppression_threshold": 3})
    assert json.loads(given[-1]) == {"suppression_threshold": 5}


def test_later_vars_add_to_earlier_ones():
    args = _with_default_vars(["run", "--vars", "{as_of: '2020-01-01'}", "--vars", '{"period_to": "06-30"}'], {})
    assert json.loads(args[-1]) == {"as_of": "2020-01-01", "period_to": "06-30"}


@pytest.mark.parametrize("bad", ["[1", "[1, 2]"])
def test_vars_that_are_not_a_yaml_dictionary_are_refused_clearly(bad):
    with pytest.raises(DbtError, match="--vars"):
        _with_default_vars(["build", "--vars", bad], {})


def test_the_project_is_found_beside_infra():
    assert (project_dir() / "dbt_project.yml").is_file()
    assert not (project_dir() / "__init__.py").exists()  # a dbt project, never a Python package


def test_the_server_target_connects_where_the_settings_url_points(tmp_path, capsys):
    from infra.settings import load_settings
    from infra.warehouse.dbt_runner import run_dbt

    settings = load_settings(clickhouse_url="https://analyst:p%40ss@127.0.0.1:1")
    outcome = run_dbt(["debug"], settings=settings, work_dir=tmp_path)
    assert not outcome.success
    out = capsys.readouterr().out
    assert "profiles.yml file [OK found and valid]" in out.replace("\x1b[32m", "").replace("\x1b[0m", "")
    assert "https://127.0.0.1:1" in out  # the profile rendered the URL's host, port and scheme


def test_a_kept_parse_is_used_again_until_the_project_or_the_vars_change(tmp_path):
    import contextlib
    import io
    import shutil

    from infra.warehouse import dbt_runner

    proj = tmp_path / "dbt"
    shutil.copytree(project_dir(), proj, ignore=shutil.ignore_patterns("target", "logs"))
    dbt_runner._manifests.clear()

    def models(variables: str) -> set[str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            outcome = dbt_runner.run_dbt(
                ["ls", "--resource-type", "model", "--output", "name", "--vars", variables,
                 "--project-dir", str(proj), "--profiles-dir", str(proj)],
                data_dir=tmp_path, quiet=True, reuse_manifest=True)
        assert outcome.success
        return set(out.getvalue().split())

    first = models("{as_of: 2021-03-31}")
    assert "rpt_notifications" in first and len(dbt_runner._manifests) == 1
    kept = next(iter(dbt_runner._manifests.values()))
    assert models("{as_of: 2021-03-31}") == first
    assert list(dbt_runner._manifests.values()) == [kept]  # parsed once, used twice
    models("{as_of: 2021-06-30}")
    assert len(dbt_runner._manifests) == 2  # other vars: parsed for them
    (proj / "models" / "marts" / "rpt_added_later.sql").write_text("select 1 as x\n")
    assert "rpt_added_later" in models("{as_of: 2021-03-31}")  # a changed project is parsed again
    dbt_runner._manifests.clear()
