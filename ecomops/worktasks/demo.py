"""Demo department tasks: between warehouse, e-commerce, finance, customer service and
marketing, one in each state (one accepted with a status report, one completed, one
overdue, one declined, one cancelled, one just dispatched), moved along by the real
services. A task that is overdue now had a due time in the future when it was dispatched:
that history is written directly. Run twice, it adds nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from ecomops.accounts.roles import Department, RoleCode

from . import services
from .models import WorkTask

Log = Callable[[str], None]


@dataclass(frozen=True)
class DemoTask:
    title: str
    details: str
    from_department: str
    to_department: str
    sender: str  # username (= role code) of the demo user who dispatches
    receiver: str  # username of the demo user who acts on it
    due_in: timedelta
    to_role: str = ""
    files: tuple[str, ...] = ()
    steps: tuple[tuple[str, str], ...] = ()  # (step, text): accept, report, complete, ...
    overdue_by: timedelta | None = None


TASKS = [
    DemoTask(
        title="确认第四季度库存盘点数据",
        details="仓库已完成第四季度盘点，请电商部核对附件中的盘点差异，"
        "确认线上可售库存是否需要调整，并在截止时间前回复。",
        from_department=Department.WAREHOUSE,
        to_department=Department.ECOMMERCE,
        sender=RoleCode.WAREHOUSE_ADMIN,
        receiver=RoleCode.SHOP_MANAGER,
        due_in=timedelta(days=3),
        files=("盘点说明.txt",),
        steps=(
            ("accept", ""),
            ("report", "已核对保湿系列与洁面系列，差异共3个SKU，正在与运营确认是否下调可售库存。"),
        ),
    ),
    DemoTask(
        title="核对十一月退款记录",
        details="请客服部核对十一月所有已退款订单的退货原因与回访记录，"
        "与财务退款台账逐笔对应，发现不一致请在报告中列出订单号。",
        from_department=Department.FINANCE,
        to_department=Department.SERVICE,
        sender=RoleCode.FINANCE_CLERK,
        receiver=RoleCode.AFTERSALES_SERVICE,
        due_in=timedelta(days=2),
        to_role=RoleCode.AFTERSALES_SERVICE,
    ),
    DemoTask(
        title="双十二大促备货",
        details="双十二活动预计销量见附件，请仓库提前备货并安排加班打包人手。",
        from_department=Department.ECOMMERCE,
        to_department=Department.WAREHOUSE,
        sender=RoleCode.SHOP_MANAGER,
        receiver=RoleCode.WAREHOUSE_ADMIN,
        due_in=timedelta(days=5),
        files=("备货清单.png",),
        steps=(
            ("accept", ""),
            ("report", "主推SKU已从二号库调拨完毕，打包台增加到6个。"),
            ("complete", "备货完成，加班人手已排班，12月11日起两班倒。"),
        ),
    ),
    DemoTask(
        title="大促主图设计",
        details="市场部双十二活动需要5张主图和1张活动海报，尺寸800×800，"
        "文案见活动方案，请设计岗完成后上传。",
        from_department=Department.MARKETING,
        to_department=Department.ECOMMERCE,
        sender=RoleCode.PROMOTION,
        receiver=RoleCode.DESIGNER,
        due_in=timedelta(days=1),
        to_role=RoleCode.DESIGNER,
        steps=(("accept", ""),),
        overdue_by=timedelta(hours=20),
    ),
    DemoTask(
        title="为客户补开增值税专用发票",
        details="客户杭州美妆小铺要求将订单的普通发票换开为增值税专用发票，请财务处理。",
        from_department=Department.ECOMMERCE,
        to_department=Department.FINANCE,
        sender=RoleCode.SALES_REP,
        receiver=RoleCode.FINANCE_CLERK,
        due_in=timedelta(days=2),
        steps=(("decline", "客户未提供开票所需的税号与开户行信息，请补充后重新下达。"),),
    ),
    DemoTask(
        title="整理团购网站资质文件",
        details="请分销部整理美团优选要求的公司资质与质检报告，统一存档。",
        from_department=Department.WAREHOUSE,
        to_department=Department.DISTRIBUTION,
        sender=RoleCode.WAREHOUSE_ADMIN,
        receiver=RoleCode.DISTRIBUTION_SPECIALIST,
        due_in=timedelta(days=4),
        steps=(("cancel", "资质文件已由市场部统一整理，此任务不再需要。"),),
    ),
]


def _file(name: str) -> SimpleUploadedFile:
    if name.endswith(".png"):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 360), (230, 240, 250)).save(buffer, format="PNG")
        return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
    text = (
        "盘点差异：\n"
        "SKU-1001 账面 120 实盘 118\n"
        "SKU-1002 账面 80 实盘 81\n"
        "SKU-2001 账面 45 实盘 40\n"
    )
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")


def _run(demo: DemoTask, users: dict[str, Any]) -> WorkTask:
    sender = users[demo.sender]
    receiver = users[demo.receiver]
    task = services.task_dispatch(
        from_department=demo.from_department,
        to_department=demo.to_department,
        to_role=demo.to_role,
        title=demo.title,
        details=demo.details,
        due_at=timezone.now() + demo.due_in,
        attachments=[_file(name) for name in demo.files],
        by=sender,
    )
    for step, text in demo.steps:
        if step == "accept":
            services.task_accept(task_id=task.pk, by=receiver)
        elif step == "report":
            services.task_report(task_id=task.pk, text=text, by=receiver)
        elif step == "complete":
            services.task_complete(task_id=task.pk, note=text, by=receiver)
        elif step == "decline":
            services.task_decline(task_id=task.pk, reason=text, by=receiver)
        elif step == "cancel":
            services.task_cancel(task_id=task.pk, reason=text, by=sender)
    if demo.overdue_by is not None:
        # History: dispatched days ago with a due time that has passed since.
        task.refresh_from_db()
        task.dispatched_at = timezone.now() - demo.overdue_by - timedelta(days=2)
        task.due_at = timezone.now() - demo.overdue_by
        task.save(update_fields=["dispatched_at", "due_at"])
    return task


def seed_worktasks(log: Log) -> None:
    User: Any = get_user_model()
    usernames = {t.sender for t in TASKS} | {t.receiver for t in TASKS}
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    created = 0
    for demo in TASKS:
        if WorkTask.objects.filter(
            title=demo.title,
            from_department=demo.from_department,
            to_department=demo.to_department,
        ).exists():
            continue
        if demo.sender not in users or demo.receiver not in users:
            log(f"department task {demo.title}: demo users missing, skipped")
            continue
        _run(demo, users)
        created += 1
    log(f"{created} department tasks")
