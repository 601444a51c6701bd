"""Staffing demo data: the heads of the demo departments, a name for the demo HR specialist,
and two staffing requests made through the real services: the warehouse's pickers, in
progress with three candidates (one hired), and e-commerce's designer, just requested.
Run twice, it adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ecomops.accounts.models import DepartmentHead
from ecomops.accounts.roles import Department, RoleCode
from ecomops.accounts.selectors import department_head

from .models import CandidateOutcome, CandidateSource, StaffingRequest
from .services import (
    staffing_approve,
    staffing_candidate_add,
    staffing_candidate_outcome,
    staffing_request,
)

Log = Callable[[str], None]

# Each demo department's head: the demo user of its leading role.
HEADS = {
    Department.ECOMMERCE: RoleCode.SHOP_MANAGER,
    Department.SERVICE: RoleCode.AFTERSALES_SERVICE,
    Department.MARKETING: RoleCode.PROMOTION,
    Department.DISTRIBUTION: RoleCode.DISTRIBUTION_SPECIALIST,
    Department.BUSINESS_UNIT: RoleCode.BU_PARTS_ADMIN,
    Department.WAREHOUSE: RoleCode.WAREHOUSE_ADMIN,
    Department.FINANCE: RoleCode.FINANCE_CLERK,
    Department.HR: RoleCode.HR,
    Department.MANAGEMENT: RoleCode.MANAGER,
}

PICKERS: dict[str, Any] = {
    "department": Department.WAREHOUSE,
    "position": "拣货员（白班）",
    "role": RoleCode.PICKER,
    "headcount": 2,
    "reason": "双十二大促备货，日均出库单量预计翻倍，现有拣货员排班不足，需增加两名白班拣货员。",
}
PICKER_CANDIDATES = [
    ("陈晓明", "13800138001", CandidateSource.JOB_SITE),
    ("林志强", "13900139002", CandidateSource.REFERRAL),
    ("赵丽华", "13700137003", CandidateSource.AGENCY),
]
DESIGNER: dict[str, Any] = {
    "department": Department.ECOMMERCE,
    "position": "电商美工设计师",
    "role": RoleCode.DESIGNER,
    "headcount": 1,
    "reason": "天猫旗舰店新品详情页和活动主图制作量增加，现有设计人手不足。",
}


def _user(username: str) -> Any | None:
    return get_user_model().objects.filter(username=username).first()


def _heads(log: Log) -> None:
    count = 0
    for department, role in HEADS.items():
        user = _user(role)
        if user is None:
            continue
        _head, created = DepartmentHead.objects.get_or_create(
            department=department, defaults={"user": user}
        )
        count += int(created)
    log(f"{count} department heads")


def _pickers(head: Any, hr: Any) -> bool:
    if StaffingRequest.objects.filter(
        department=PICKERS["department"], position=PICKERS["position"]
    ).exists():
        return False
    today = timezone.localdate()
    request = staffing_request(wanted_by=today + timedelta(days=14), by=head, **PICKERS)
    staffing_approve(request_id=request.pk, note="大促前必须到岗，优先有仓库经验者。", by=hr)
    candidates = [
        staffing_candidate_add(request_id=request.pk, name=name, phone=phone, source=source, by=hr)
        for name, phone, source in PICKER_CANDIDATES
    ]
    staffing_candidate_outcome(
        candidate_id=candidates[0].pk,
        outcome=CandidateOutcome.HIRED,
        note="有两年电商仓库拣货经验，试岗表现好。",
        start_date=today + timedelta(days=7),
        by=head,
    )
    staffing_candidate_outcome(
        candidate_id=candidates[1].pk,
        outcome=CandidateOutcome.INTERVIEWING,
        note="约了周四下午到仓库面试。",
        by=head,
    )
    return True


def _designer(head: Any) -> bool:
    if StaffingRequest.objects.filter(
        department=DESIGNER["department"], position=DESIGNER["position"]
    ).exists():
        return False
    staffing_request(wanted_by=timezone.localdate() + timedelta(days=30), by=head, **DESIGNER)
    return True


@transaction.atomic
def seed_staffing(log: Log) -> None:
    _heads(log)
    hr = _user(RoleCode.HR)
    warehouse_head = department_head(Department.WAREHOUSE)
    ecommerce_head = department_head(Department.ECOMMERCE)
    if hr is None or warehouse_head is None or ecommerce_head is None:
        log("staffing: demo users missing, run the kernel seeder first")
        return
    made = int(_pickers(warehouse_head, hr)) + int(_designer(ecommerce_head))
    log(f"{made} staffing requests")
