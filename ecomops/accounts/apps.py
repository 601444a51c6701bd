from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ecomops.accounts"
    label = "accounts"
    verbose_name = _("Departments and roles")

    def ready(self) -> None:
        from . import roles

        roles.grant_manager_all_of(
            "accounts",
            "workcalendar",
            "sla",
            "notifications",
            "audit",
            "django_celery_beat",
            "django_fsm_log",
            "axes",  # failed sign-ins: unlock a user or address by deleting its attempts
        )
        post_migrate.connect(_sync_after_last_app, dispatch_uid="ecomops.sync_roles")


def _sync_after_last_app(sender: AppConfig, **kwargs: object) -> None:
    """post_migrate fires once per app; permissions of every app exist after the last one."""
    from django.apps import apps

    from . import services

    if sender.label == list(apps.get_app_configs())[-1].label:
        services.sync_role_permissions()
