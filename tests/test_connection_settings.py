"""Connection settings for real deployments: pool options and driver arguments in the URL,
the password from the environment, and never a password in any output."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from etl.db import make_engine, redact, split_pool_options, with_password_from_env
from etl.errors import ConfigError
from tests.conftest import SERVER_URLS, clean_env


def test_pool_options_leave_the_url_and_driver_options_stay() -> None:
    url = make_url("postgresql+psycopg://u@h/db?pool_size=3&pool_recycle=600&sslmode=require")
    rest, options = split_pool_options(url)
    assert options == {"pool_size": 3, "pool_recycle": 600}
    assert dict(rest.query) == {"sslmode": "require"}
    with pytest.raises(ConfigError, match="pool_size must be a number"):
        split_pool_options(make_url("postgresql+psycopg://u@h/db?pool_size=many"))


def test_engine_applies_pool_options() -> None:
    engine = make_engine("postgresql+psycopg://u@127.0.0.1:1/db?pool_size=3&max_overflow=1&pool_timeout=7")
    assert engine.pool.size() == 3
    assert engine.pool._max_overflow == 1  # no public accessor
    assert engine.pool._timeout == 7
    engine.dispose()


def test_password_from_environment_only_when_url_has_none() -> None:
    env = {"ETL_DATABASE_PASSWORD": "fromenv"}
    assert with_password_from_env(make_url("mysql+pymysql://root@h/db"), env).password == "fromenv"
    assert with_password_from_env(make_url("mysql+pymysql://root:inurl@h/db"), env).password == "inurl"
    assert with_password_from_env(make_url("sqlite:///x.db"), env).password is None


def test_redact_scrubs_environment_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETL_DATABASE_PASSWORD", "Hunter2Secret")
    assert redact("auth failed with Hunter2Secret", None) == "auth failed with ***"


@pytest.mark.parametrize("kind", list(SERVER_URLS))
def test_env_password_reaches_server_and_is_never_printed(run_etl, kind: str) -> None:
    url = make_url(SERVER_URLS[kind]).set(username="etl_no_such_user", port=make_url(SERVER_URLS[kind]).port)
    env = clean_env(ETL_DATABASE_PASSWORD="Hunter2Secret")
    result = run_etl("init", "--db", url.render_as_string(hide_password=False), env=env, timeout=60)
    assert result.exit_code == 2
    assert "Hunter2Secret" not in result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("etl: error: cannot connect")
