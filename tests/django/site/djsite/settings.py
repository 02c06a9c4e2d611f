"""Settings of the tiny Django project the Django adapter's tests serve."""

from corecors import Config

APP = "https://app.example.com"
PARTNER = "https://partner.example"

SECRET_KEY = "corecors-tests"  # noqa: S105 (a test project's key)
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "djsite.urls"
USE_TZ = True
DATABASES: dict[str, object] = {}
LOGGING_CONFIG = None
INSTALLED_APPS = ["corecors.adapters.django.CorecorsAppConfig"]
MIDDLEWARE = [
    "corecors.adapters.django.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "djsite.middleware.short_circuit",
]

CORECORS_ALLOW_ORIGINS = [APP]
CORECORS_ALLOW_METHODS = ["GET", "POST", "PUT"]
CORECORS_ALLOW_HEADERS = ["Content-Type", "X-CSRFToken"]
CORECORS_ALLOW_CREDENTIALS = True
CORECORS_EXPOSE_HEADERS = ["X-Total"]
CORECORS_URLS_REGEX = r"/(?!outside/).*"
CORECORS_POLICIES = [
    (r"/public/.*", {"allow_origins": "*", "max_age": -1}),
    (r"/partner-api/.*", Config(allow_origins=[PARTNER], allow_methods=["PATCH"])),
]
