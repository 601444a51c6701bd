"""Cross-department tasks (任务下达 / 情况报告): one department hands another work."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorktasksConfig(AppConfig):
    name = "ecomops.worktasks"
    label = "worktasks"
    verbose_name = _("Department tasks")

    def ready(self) -> None:
        from ecomops.accounts.roles import ROLES, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue

        from . import selectors
        from .demo import seed_worktasks

        # Everyone works on tasks through the portal, by department; managers also in the
        # admin.
        grant_manager_all_of("worktasks")
        register_nav(
            NavItem(
                key="worktasks.list",
                label=_("Department tasks"),
                url_name="worktasks:list",
                roles=(),
                order=5,
            )
        )
        register_queue(
            Queue(
                key="worktasks.received",
                title=_("Tasks for my department"),
                roles=tuple(ROLES),
                url_name="worktasks:list",
                count=selectors.received_open_count,
                late_count=selectors.overdue_count,
                description=_("Open tasks other departments sent; overdue ones in red"),
                order=80,
            )
        )
        register_seeder("worktasks", seed_worktasks, order=15)
