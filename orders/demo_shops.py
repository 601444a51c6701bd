"""Shop opening demo data: one Tmall shop open (天猫家居旗舰店, ``tmall-home``: rejected once
at the first review for a trademark that did not match, resubmitted, approved, set up and
open) and one in the platform's review (天猫户外专营店, ``tmall-outdoor``: submitted eight
working days ago, two review steps passed, its business licence running out within 30 days).

Both go through the real services, as the shop manager, designer and listing reviewer would
take them; each step is then dated at its moment in the story (the services write "now"),
so the pages show a history and a review clock started in the past. Run twice, it adds
nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog
from PIL import Image, ImageDraw

from ecomops.accounts.roles import RoleCode
from ecomops.calendar import add_working_days, day_closing, is_working_day, local_datetime
from ecomops.sla.models import SlaClock

from . import services
from .models import (
    ChannelKind,
    OpeningProcess,
    OpeningStepRecord,
    ReviewDecision,
    ShopDocument,
    ShopOpening,
)
from .selectors import SHOP_APPROVAL_CLOCK

Log = Callable[[str], None]

HOME = ("tmall-home", "天猫家居旗舰店", "杭州恒信家居用品有限公司")
OUTDOOR = ("tmall-outdoor", "天猫户外专营店", "杭州恒信户外用品有限公司")
TRADEMARK_MISMATCH = "商标注册证与申请品牌不一致"


def seed_shops(log: Log) -> None:
    process = OpeningProcess.objects.filter(platform=ChannelKind.TMALL, active=True).first()
    if process is None:
        log("  shops: no active Tmall opening process (run migrate); skipped")
        return
    users = {
        code: get_user_model().objects.filter(username=code).first()
        for code in (RoleCode.SHOP_MANAGER, RoleCode.DESIGNER, RoleCode.LISTING_REVIEWER)
    }
    if not all(users.values()):
        log("  shops: the demo users are missing; skipped")
        return
    for (code, name, company), story in ((HOME, _open_shop), (OUTDOOR, _shop_in_review)):
        if ShopOpening.objects.filter(channel__code=code).exists():
            log(f"  shops: {code} already there")
            continue
        with transaction.atomic():
            opening = services.shop_opening_start(
                platform=ChannelKind.TMALL,
                code=code,
                name=name,
                company_name=company,
                by=users[RoleCode.SHOP_MANAGER],
            )
            story(_Story(opening, users))
        opening.refresh_from_db()
        log(f"  shops: {code} {opening.get_state_display()}")


# --- Files ----------------------------------------------------------------------------------


def _pdf(name: str, lines: list[str]) -> SimpleUploadedFile:
    """A small real PDF with the document's words (a scan would be a picture of it)."""
    from reportlab.pdfgen import canvas

    from ecomops import pdf

    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    sheet.setFont(pdf.register_cjk_font(), 16)
    for index, line in enumerate(lines):
        sheet.drawString(72, 760 - 28 * index, line)
    sheet.showPage()
    sheet.save()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def _png(name: str) -> SimpleUploadedFile:
    """A small picture standing for a photographed ID card."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (640, 400), (236, 242, 248))
    ImageDraw.Draw(image).rectangle((24, 24, 616, 376), outline=(120, 140, 160), width=4)
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- Replaying a story at its dates ---------------------------------------------------------


def working_days_back(day: date, count: int) -> date:
    """The ``count``-th working day before ``day``."""
    for _ in range(count):
        day -= timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
    return day


class _Story:
    """Takes an opening through the services, dating what each call wrote at ``moment``."""

    def __init__(self, opening: ShopOpening, users: dict[str, Any]) -> None:
        self.opening = opening
        self.manager = users[RoleCode.SHOP_MANAGER]
        self.users = users
        self.today = timezone.localdate()
        self.content_type = ContentType.objects.get_for_model(ShopOpening)

    def at(self, working_days_ago: int, hour: int, minute: int = 0) -> datetime:
        return local_datetime(working_days_back(self.today, working_days_ago), time(hour, minute))

    def _last_log(self) -> int:
        last = (
            StateLog.objects.filter(content_type=self.content_type, object_id=self.opening.pk)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        return last or 0

    def _date_logs(self, since: int, moment: datetime) -> None:
        StateLog.objects.filter(
            content_type=self.content_type, object_id=self.opening.pk, pk__gt=since
        ).update(timestamp=moment)

    def _clocks(self) -> Any:
        return SlaClock.objects.filter(
            policy__code=SHOP_APPROVAL_CLOCK,
            content_type=self.content_type,
            object_id=self.opening.pk,
        )

    def _record(self, code: str) -> OpeningStepRecord:
        return self.opening.step_records.get(code=code)

    def started(self, moment: datetime) -> None:
        ShopOpening.objects.filter(pk=self.opening.pk).update(created_at=moment)

    def step(self, code: str, moment: datetime, *, by: Any = None, note: str = "") -> None:
        since = self._last_log()
        record = self._record(code)
        services.shop_step_complete(
            opening_id=self.opening.pk, step_id=record.step_id, note=note, by=by or self.manager
        )
        OpeningStepRecord.objects.filter(pk=record.pk).update(done_at=moment)
        self._date_logs(since, moment)

    def upload(
        self,
        code: str,
        moment: datetime,
        upload: SimpleUploadedFile,
        *,
        expires_on: date | None = None,
        long_term: bool = False,
        licence_number: str = "",
    ) -> None:
        current = list(
            ShopDocument.objects.filter(
                opening=self.opening, document_type__code=code, superseded_at__isnull=True
            ).values_list("pk", flat=True)
        )
        document = services.shop_document_upload(
            opening_id=self.opening.pk,
            document_type_id=self.opening.process.document_types.get(code=code).pk,
            upload=upload,
            expires_on=expires_on,
            long_term=long_term,
            licence_number=licence_number,
            by=self.manager,
        )
        ShopDocument.objects.filter(pk=document.pk).update(uploaded_at=moment)
        ShopDocument.objects.filter(pk__in=current).update(superseded_at=moment)

    def submit(self, moment: datetime) -> None:
        since = self._last_log()
        services.shop_documents_submit(opening_id=self.opening.pk, by=self.manager)
        due_on = add_working_days(moment.date(), self.opening.process.review_working_days)
        ShopOpening.objects.filter(pk=self.opening.pk).update(
            submitted_at=moment, review_due_on=due_on
        )
        self._clocks().filter(stopped_at__isnull=True).update(
            started_at=moment, due_at=day_closing(due_on)
        )
        self._date_logs(since, moment)

    def answer(self, code: str, moment: datetime, *, reason: str = "", note: str = "") -> None:
        since = self._last_log()
        called = timezone.now()
        record = self._record(code)
        decided = ReviewDecision.objects.filter(opening=self.opening).order_by("-pk").first()
        if reason:
            services.shop_review_reject(
                opening_id=self.opening.pk, step_id=record.step_id, reason=reason, by=self.manager
            )
        else:
            services.shop_review_pass(
                opening_id=self.opening.pk, step_id=record.step_id, note=note, by=self.manager
            )
            OpeningStepRecord.objects.filter(pk=record.pk).update(done_at=moment)
        ReviewDecision.objects.filter(
            opening=self.opening, pk__gt=decided.pk if decided else 0
        ).update(decided_at=moment)
        self._clocks().filter(stopped_at__gte=called).update(stopped_at=moment)
        ShopOpening.objects.filter(pk=self.opening.pk, approved_at__gte=called).update(
            approved_at=moment
        )
        self._date_logs(since, moment)

    def open(self, moment: datetime) -> None:
        since = self._last_log()
        services.shop_open(opening_id=self.opening.pk, by=self.manager)
        ShopOpening.objects.filter(pk=self.opening.pk).update(opened_at=moment)
        self._date_logs(since, moment)


# --- The two shops --------------------------------------------------------------------------


def _documents(story: _Story, day: int, *, licence_expires: date, brand_file: str) -> None:
    name, company = story.opening.channel.name, story.opening.company_name
    story.upload(
        "business_licence",
        story.at(day, 10),
        _pdf("营业执照.pdf", ["营业执照（副本）", company, "统一社会信用代码 91330106MA2H7K3X5Q"]),
        expires_on=licence_expires,
        licence_number="91330106MA2H7K3X5Q",
    )
    story.upload(
        "brand_rights",
        story.at(day, 10, 10),
        _pdf(brand_file, ["商标注册证", "第 20 类 家具、垫子", f"申请店铺：{name}"]),
        expires_on=story.today + timedelta(days=900),
        licence_number="第38765412号",
    )
    story.upload(
        "legal_rep_id",
        story.at(day, 10, 20),
        _png("法定代表人身份证.png"),
        expires_on=story.today + timedelta(days=1800),
        licence_number="330106198203154517",
    )
    story.upload(
        "bank_account",
        story.at(day, 10, 30),
        _pdf("银行开户许可证.pdf", ["开户许可证", company, "中国工商银行杭州西湖支行"]),
        licence_number="J3310001234501",
    )


def _open_shop(story: _Story) -> None:
    """Rejected once at the first review, resubmitted, approved, set up and open."""
    designer = story.users[RoleCode.DESIGNER]
    reviewer = story.users[RoleCode.LISTING_REVIEWER]
    story.started(story.at(75, 10))
    story.step("account_registered", story.at(74, 11), note="企业支付宝与商家账号已绑定")
    story.step("opening_exam", story.at(72, 15), note="考试成绩 92 分")
    _documents(
        story,
        71,
        licence_expires=story.today + timedelta(days=3 * 365),
        brand_file="商标注册证.pdf",
    )
    story.submit(story.at(70, 16))
    story.answer("alipay_verification", story.at(68, 10))
    story.answer("first_review", story.at(65, 14), reason=TRADEMARK_MISMATCH)
    story.upload(
        "brand_rights",
        story.at(64, 11),
        _pdf("品牌授权书.pdf", ["品牌授权书", "授权品牌：恒信家居", "授权期限：三年"]),
        expires_on=story.today + timedelta(days=2 * 365),
        licence_number="SQ-2026-0318",
    )
    story.submit(story.at(63, 9, 30))
    story.answer("alipay_verification", story.at(61, 10))
    story.answer("first_review", story.at(57, 15))
    story.answer("second_review", story.at(52, 11))
    story.answer("brand_confirmed", story.at(46, 16), note="品牌授权链路已确认")
    for code, by, day in (
        ("product_photos", designer, 44),
        ("descriptions", designer, 41),
        ("shop_decoration", designer, 38),
        ("first_products", reviewer, 36),
        ("shop_settings", None, 35),
    ):
        story.step(code, story.at(day, 17), by=by)
    story.open(story.at(34, 10))


def _shop_in_review(story: _Story) -> None:
    """Submitted eight working days ago; Alipay and the first review passed; its business
    licence runs out within the notice period (announced by the morning reminder)."""
    story.started(story.at(16, 9))
    story.step("account_registered", story.at(15, 14))
    story.step("opening_exam", story.at(14, 16), note="考试成绩 88 分")
    _documents(
        story,
        13,
        licence_expires=story.today + timedelta(days=20),
        brand_file="商标注册证.pdf",
    )
    story.submit(story.at(8, 10))
    story.answer("alipay_verification", story.at(6, 11))
    story.answer("first_review", story.at(3, 15))
