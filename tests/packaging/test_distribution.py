"""The wheel: its name, version and entry points, as Airflow finds them (scripts/matrix.sh runs these on it)."""

from __future__ import annotations

import importlib.metadata as metadata
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FROM_WHEEL = os.environ.get("IAM_LIFECYCLE_FROM_WHEEL") == "1"
needs_wheel = pytest.mark.skipif(not FROM_WHEEL, reason="runs in scripts/matrix.sh, on the installed wheel")


def test_pyproject_names_the_version_of_the_package():
    import iam_lifecycle

    text = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{iam_lifecycle.__version__}"' in text and iam_lifecycle.__version__ == "0.2.0"


def test_provider_info_names_the_plugin_and_the_extra_link():
    from iam_lifecycle.provider import get_provider_info

    info = get_provider_info()
    assert info["package-name"] == "iam-lifecycle" and info["name"] and info["description"]
    assert info["extra-links"] == ["iam_lifecycle.operators.links.IamUserConsoleLink"]
    assert info["plugins"] == [{"name": "iam_lifecycle", "plugin-class": "iam_lifecycle.plugin.IamLifecyclePlugin"}]


@needs_wheel
def test_the_package_is_the_wheels_not_the_source_tree():
    import iam_lifecycle

    assert "site-packages" in iam_lifecycle.__file__, iam_lifecycle.__file__
    assert metadata.version("iam-lifecycle") == iam_lifecycle.__version__
    classifiers = metadata.metadata("iam-lifecycle").get_all("Classifier")
    assert "Framework :: Apache Airflow" in classifiers and "Framework :: Apache Airflow :: Provider" in classifiers
    requires = metadata.requires("iam-lifecycle")
    assert any(r.replace(" ", "").startswith("apache-airflow<4,>=3.1") for r in requires), requires
    assert not any(r.startswith("boto3") for r in requires)


@needs_wheel
def test_airflow_finds_the_entry_points():
    points = metadata.entry_points()
    [plugin] = [p for p in points.select(group="airflow.plugins") if p.value.startswith("iam_lifecycle")]
    assert plugin.load().__name__ == "IamLifecyclePlugin"
    [provider] = [p for p in points.select(group="apache_airflow_provider") if p.value.startswith("iam_lifecycle")]
    assert provider.load()()["package-name"] == "iam-lifecycle"

    from airflow.providers_manager import ProvidersManager

    assert "iam-lifecycle" in ProvidersManager().providers
    assert "iam_lifecycle.operators.links.IamUserConsoleLink" in ProvidersManager().extra_links_class_names


@needs_wheel
def test_the_plugin_registers_once_and_its_link(tmp_path, monkeypatch):
    """Loaded from the entry point and from plugins/ (a copied deployment), the plugin is registered once."""
    import subprocess

    code = (
        "from airflow import plugins_manager as m\n"
        "if hasattr(m, '_get_plugins'):\n    ps = m._get_plugins()[0]\n"
        "else:\n    m.ensure_plugins_loaded(); ps = m.plugins\n"
        "names = [p.name for p in ps]\n"
        "assert names.count('iam_lifecycle') == 1, names\n"
        "[p] = [p for p in ps if p.name == 'iam_lifecycle']\n"
        "assert [type(link).__name__ for link in p.operator_extra_links] == ['IamUserConsoleLink']\n"
    )
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
