"""The app's own database connection (ADR 0030)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_apps_connection_does_not_jit_compile_queries():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
