"""Django configured once for the Django adapter's tests: the project in site/.

The settings are those of ``site/djsite/settings.py``, given to
``settings.configure`` (no ``DJANGO_SETTINGS_MODULE`` in this process's
environment, so that other tests' subprocesses do not inherit it). The
real servers in test_servers.py run the same project in subprocesses.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import django
from django.conf import settings

SITE = Path(__file__).resolve().parent / "site"

if str(SITE) not in sys.path:
    sys.path.insert(0, str(SITE))

if not settings.configured:
    module = importlib.import_module("djsite.settings")
    settings.configure(**{name: getattr(module, name) for name in dir(module) if name.isupper()})
    django.setup()
