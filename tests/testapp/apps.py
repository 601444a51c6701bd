from django.apps import AppConfig


class TestappConfig(AppConfig):
    """Models that exist only in tests, to exercise the kernel's generic machinery."""

    name = "tests.testapp"
    label = "testapp"
