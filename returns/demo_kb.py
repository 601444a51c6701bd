"""After-sales demo data: the reply-script knowledge base of a Tmall shop's service team
(some scripts edited over time, a few changed today), after-sales cases in every state for
demo customers, and callbacks due today, overdue, upcoming and made.

Run twice, it adds nothing: scripts are found again by their question, cases by their
problem, callbacks by their customer and purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.accounts.roles import RoleCode
from ecomops.calendar import local_datetime
from orders.models import Customer, Order, OrderState

from .models import (
    AfterSalesCase,
    Callback,
    CallbackOutcome,
    CaseCategory,
    ReplyScript,
    ScriptAudience,
    ScriptCategory,
)
from .services import cases as case_services
from .services import scripts as script_services

P, A, B = ScriptAudience.PRESALES, ScriptAudience.AFTERSALES, ScriptAudience.BOTH

# (category, audience, question, answer)
SCRIPTS: list[tuple[str, str, str, str]] = [
    # 商品咨询
    (
        ScriptCategory.PRODUCT,
        P,
        "这款是正品吗？",
        "亲，本店为品牌官方授权店铺，所有商品均为正品，支持专柜验货，假一赔十，请放心购买哦~",
    ),
    (
        ScriptCategory.PRODUCT,
        P,
        "有没有现货？",
        "亲，页面能拍下的规格都是有现货的，付款后按顺序发货；显示“预售”的规格以页面写明的发货时间为准。",
    ),
    (
        ScriptCategory.PRODUCT,
        P,
        "尺码怎么选？",
        "亲，详情页有尺码表，您可以告诉我身高、体重和平时穿的尺码，我帮您推荐更合适的哦~",
    ),
    (
        ScriptCategory.PRODUCT,
        P,
        "保质期到什么时候？",
        "亲，我们发出的商品保质期均在一年以上，生产日期印在包装底部，收到后可以核对。",
    ),
    (
        ScriptCategory.PRODUCT,
        B,
        "需要安装吗？上门安装收费吗？",
        "亲，大件商品签收后在订单页点“预约安装”，师傅会在24小时内联系您，上门安装免费；"
        "如需额外材料（如加长管、支架）按师傅出示的收费标准收取。",
    ),
    # 价格与优惠
    (
        ScriptCategory.PRICE,
        P,
        "有优惠券吗？",
        "亲，店铺首页可以领取满减券，下单时会自动使用；关注店铺还能领取一张5元无门槛券哦~",
    ),
    (
        ScriptCategory.PRICE,
        P,
        "可以便宜一点吗？",
        "亲，价格是公司统一定的，客服没有改价权限呢；您可以领取店铺优惠券，或者参加满减活动，更划算哦~",
    ),
    (
        ScriptCategory.PRICE,
        B,
        "买了之后降价了，可以价保吗？",
        "亲，本店支持15天价保：签收后15天内同款同规格降价，可以在订单页申请价格保护，差价原路退回。"
        "限时秒杀、直播专享价和使用了优惠券的差额不在价保范围内。",
    ),
    (
        ScriptCategory.PRICE,
        P,
        "双十一的价格什么时候有？",
        "亲，活动价格以活动当天页面显示为准，提前加购并领取预热优惠券，活动开始时直接付款就可以哦~",
    ),
    (
        ScriptCategory.PRICE,
        P,
        "优惠券为什么用不了？",
        "亲，请看一下优惠券的使用门槛、适用商品和有效期；部分特价商品不参与用券。"
        "如果都符合还是用不了，请把截图发给我，帮您查一下。",
    ),
    # 下单与付款
    (
        ScriptCategory.ORDER,
        P,
        "可以货到付款吗？",
        "亲，天猫店铺暂不支持货到付款，您可以用支付宝、花呗或信用卡付款，付款后48小时内发货哦~",
    ),
    (
        ScriptCategory.ORDER,
        B,
        "拍下后可以改地址吗？",
        "亲，还没发货的订单可以修改地址，请把新的收货人、电话和地址发给我，我帮您备注；"
        "已经发货的需要联系快递改派，可能会产生费用。",
    ),
    (
        ScriptCategory.ORDER,
        P,
        "可以分期付款吗？",
        "亲，支持花呗分期，部分商品还有免息分期，付款时选择花呗分期就能看到每期金额。",
    ),
    (
        ScriptCategory.ORDER,
        B,
        "拍错了怎么取消订单？",
        "亲，未发货的订单可以在订单页直接申请退款，我们同意后钱会原路退回；已经发货的请拒收或收到后申请退货。",
    ),
    (
        ScriptCategory.ORDER,
        P,
        "可以合并付款一起发货吗？",
        "亲，同一个地址的多个订单我们会尽量合并发货，请在付款后留言告诉我订单号哦~",
    ),
    # 物流与配送
    (
        ScriptCategory.SHIPPING,
        B,
        "什么时候发货？",
        "亲，现货商品付款后48小时内发货，当天15:00前付款的订单一般当天发出；节假日顺延哦~",
    ),
    (
        ScriptCategory.SHIPPING,
        B,
        "发什么快递？可以指定快递吗？",
        "亲，默认发中通或顺丰，系统会根据您的地址选择最快的快递；需要指定顺丰的请留言，偏远地区可能需补运费。",
    ),
    (
        ScriptCategory.SHIPPING,
        P,
        "包邮吗？运费多少？",
        "亲，全国大部分地区包邮；新疆、西藏、青海等偏远地区需补运费，下单时页面会显示具体金额。",
    ),
    (
        ScriptCategory.SHIPPING,
        A,
        "物流好几天没更新了怎么办？",
        "亲，非常抱歉让您久等了，我马上帮您联系快递核实；如果确认丢件，我们会给您重新补发，请您放心。",
    ),
    (
        ScriptCategory.SHIPPING,
        A,
        "显示签收了但我没收到",
        "亲，请先看一下家人、门卫、快递柜或驿站是否代收；如果都没有，我这边马上联系快递核实签收情况，24小时内给您答复。",
    ),
    # 发票
    (
        ScriptCategory.INVOICE,
        B,
        "可以开发票吗？",
        "亲，可以开具电子普通发票，抬头可以是个人或公司；请在订单页“申请开票”填写抬头和税号。",
    ),
    (
        ScriptCategory.INVOICE,
        B,
        "可以开增值税专用发票吗？",
        "亲，可以开专票，请提供公司名称、税号、注册地址电话、开户行及账号，确认收货后3个工作日内开出。",
    ),
    (
        ScriptCategory.INVOICE,
        A,
        "发票抬头写错了能重开吗？",
        "亲，可以的，请把正确的抬头和税号发给我，我们作废原发票（或开红字发票）后重新开具。",
    ),
    (
        ScriptCategory.INVOICE,
        A,
        "发票什么时候能收到？",
        "亲，电子发票在申请后24小时内发送到您填写的邮箱，也可以在订单页下载；纸质专票随后邮寄。",
    ),
    (
        ScriptCategory.INVOICE,
        P,
        "发票金额可以多开吗？",
        "亲，抱歉，发票只能按实际付款金额开具，不能多开或开具其他商品名称哦。",
    ),
    # 退换货
    (
        ScriptCategory.RETURN,
        B,
        "支持七天无理由退货吗？",
        "亲，支持七天无理由退货：签收后7天内，商品未使用、包装和配件齐全、不影响二次销售即可申请。",
    ),
    (
        ScriptCategory.RETURN,
        A,
        "退货运费谁出？",
        "亲，质量问题或发错货的退货运费由我们承担，请先垫付并上传快递单据，退款时一起退给您；"
        "七天无理由退货的运费由买家承担，购买了运费险的可以理赔。",
    ),
    (
        ScriptCategory.RETURN,
        A,
        "收到的货发错了怎么办？",
        "亲，非常抱歉给您添麻烦了！请拍一下收到的商品和外包装标签发给我，我们核实后马上给您补发正确的商品，"
        "发错的商品我们安排快递上门取回，运费由我们承担。",
    ),
    (
        ScriptCategory.RETURN,
        A,
        "收到的商品破损了",
        "亲，非常抱歉！请在签收后48小时内拍下外箱、破损部位和快递面单的照片发给我，核实后为您补发或退款，您不用承担任何费用。",
    ),
    (
        ScriptCategory.RETURN,
        A,
        "退款多久能到账？",
        "亲，我们收到退货并验收后会在24小时内退款，退款原路返回：支付宝余额即时到账，银行卡一般1-3个工作日。",
    ),
    (
        ScriptCategory.RETURN,
        A,
        "可以换货吗？",
        "亲，可以换货的，请在订单页申请换货并写明要换的规格，我们收到退回的商品后48小时内把新的发出。",
    ),
    # 维修与保修
    (
        ScriptCategory.AFTERSALES,
        B,
        "保修多久？",
        "亲，整机保修一年，主要部件（如电机、压缩机）保修三年；保修凭订单号即可，不需要纸质发票。",
    ),
    (
        ScriptCategory.AFTERSALES,
        A,
        "坏了怎么申请维修？",
        "亲，请描述一下故障现象，最好拍个视频；保修期内我们安排免费上门维修或寄修，往返运费由我们承担。",
    ),
    (
        ScriptCategory.AFTERSALES,
        A,
        "过了保修期还能修吗？",
        "亲，过保的也可以维修，只收取配件费用，人工费免收；我先帮您登记，师傅检测后会先报价，您同意后再修。",
    ),
    (
        ScriptCategory.AFTERSALES,
        A,
        "使用说明书丢了怎么办？",
        "亲，电子版说明书可以在店铺首页“服务中心”下载，我也可以直接发给您；有不会操作的地方随时问我哦~",
    ),
    (
        ScriptCategory.AFTERSALES,
        A,
        "维修师傅什么时候上门？",
        "亲，维修单提交后师傅会在24小时内电话联系您预约时间，请保持电话畅通；如有变动请随时告诉我。",
    ),
    # 投诉与安抚
    (
        ScriptCategory.COMPLAINT,
        A,
        "客户情绪激动要投诉",
        "亲，非常理解您的心情，给您带来不好的体验真的很抱歉！这个问题我来负责跟进到底，"
        "今天下班前一定给您一个明确的处理方案，您看可以吗？",
    ),
    (
        ScriptCategory.COMPLAINT,
        A,
        "客户要求赔偿",
        "亲，给您造成损失我们非常抱歉。我先把情况登记下来提交主管，会在24小时内联系您商量补偿方案。",
    ),
    (
        ScriptCategory.COMPLAINT,
        B,
        "客服回复太慢",
        "亲，实在抱歉让您久等了，现在咨询的人比较多，我这边会优先处理您的问题，请问有什么可以帮您？",
    ),
    (
        ScriptCategory.COMPLAINT,
        A,
        "快递员态度不好",
        "亲，非常抱歉让您有不好的体验！请告诉我快递单号和具体情况，我们会向快递公司投诉并跟进处理结果。",
    ),
]


@dataclass(frozen=True)
class Edit:
    """A later version of a demo script: ``days_ago`` (0 = today), its text, why."""

    question: str
    days_ago: int
    answer: str
    note: str
    active: bool = True


EDITS: list[Edit] = [
    Edit(
        "什么时候发货？",
        12,
        "亲，现货商品付款后48小时内发货，当天15:00前付款的订单当天发出；节假日顺延，大促期间以活动页说明为准哦~",
        "补充大促期间的说明",
    ),
    Edit(
        "买了之后降价了，可以价保吗？",
        0,
        "亲，本店支持15天价保：签收后15天内同款同规格降价，在订单页申请价格保护，差价原路退回。"
        "限时秒杀、直播专享价不在价保范围内；使用优惠券的按实付金额计算差价。",
        "优惠券差价规则调整",
    ),
    Edit(
        "可以开增值税专用发票吗？",
        0,
        "亲，可以开专票，请在订单页“申请开票”选择专用发票，填写公司名称、税号、注册地址电话、开户行及账号；"
        "确认收货后当天15:00前申请的当天开出，之后申请的下一个工作日开出。",
        "按15:00开票时效改写",
    ),
    Edit(
        "可以便宜一点吗？",
        5,
        "",
        "改价话术不再使用，统一引导领券",
        active=False,
    ),
    Edit(
        "退货运费谁出？",
        3,
        "亲，质量问题、发错货或破损的退货运费由我们承担，可以选择“上门取件”不用您垫付；"
        "七天无理由退货的运费由买家承担，购买了运费险的可以理赔。",
        "增加上门取件",
    ),
]

# (category, problem, state, days ago opened, cause, resolution)
CASES: list[tuple[str, str, str, int, str, str]] = [
    (CaseCategory.QUALITY, "电饭煲使用三天后不加热，指示灯不亮。", "open", 1, "", ""),
    (CaseCategory.DELIVERY, "物流信息五天未更新，客户很着急。", "open", 0, "", ""),
    (
        CaseCategory.INSTALLATION,
        "空调安装后室内机漏水，要求重新上门。",
        "reopened",
        9,
        "排水管坡度不够",
        "师傅上门调整排水管",
    ),
    (
        CaseCategory.INVOICE,
        "专票抬头与公司名称不一致，要求重开。",
        "resolved",
        4,
        "客户下单时填错抬头",
        "已开红字发票并重新开具专票",
    ),
    (
        CaseCategory.QUALITY,
        "收到的保温杯杯盖有裂纹。",
        "resolved",
        3,
        "运输途中挤压",
        "补发新杯盖，顺丰已发出",
    ),
    (
        CaseCategory.RETURN,
        "七天无理由退货，退款迟迟未到账。",
        "closed",
        14,
        "退货入库晚了两天",
        "已催财务退款，客户确认到账",
    ),
    (
        CaseCategory.COMPLAINT,
        "客户投诉客服回复太慢，态度冷淡。",
        "closed",
        20,
        "大促期间咨询量大",
        "主管致电道歉，赠送10元无门槛券",
    ),
    (CaseCategory.OTHER, "客户咨询商品能否寄到香港。", "open", 2, "", ""),
]

# (purpose, when, case index or None, outcome)
# when: ("today", hour, minute) | ("ago", days, hour) | ("ahead", days, hour)
CALLBACKS: list[tuple[str, tuple[str, int, int], int | None, str]] = [
    ("回访电饭煲故障，确认是否需要上门检测", ("today", 10, 0), 0, ""),
    ("确认补发的杯盖是否收到", ("today", 14, 30), 4, ""),
    ("回访空调漏水是否解决", ("today", 16, 0), 2, ""),
    ("回访香港寄送方案", ("ago", 1, 15), 7, ""),
    ("告知物流核实结果", ("ahead", 1, 10), 1, ""),
    ("大促后满意度回访", ("ahead", 3, 14), None, ""),
    ("确认退款已到账", ("ago", 10, 11), 5, CallbackOutcome.SATISFIED),
    ("投诉处理结果回访", ("ago", 15, 17), 6, CallbackOutcome.NO_ANSWER),
]


def _pick_user(users_by_role: dict[str, Any], *codes: str) -> Any:
    for code in codes:
        if users_by_role.get(code) is not None:
            return users_by_role[code]
    return next((u for u in users_by_role.values() if u is not None), None)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_datetime(day, time(hour, minute))


def _seed_scripts(users_by_role: dict[str, Any]) -> int:
    aftersales = _pick_user(users_by_role, RoleCode.AFTERSALES_SERVICE, RoleCode.MANAGER)
    presales = _pick_user(users_by_role, RoleCode.PRESALES_SERVICE, RoleCode.AFTERSALES_SERVICE)
    manager = _pick_user(users_by_role, RoleCode.MANAGER, RoleCode.AFTERSALES_SERVICE)
    today = timezone.localdate()
    edits = {e.question: e for e in EDITS}
    created = 0
    for index, (category, audience, question, answer) in enumerate(SCRIPTS):
        if ReplyScript.objects.filter(question=question).exists():
            continue
        author = presales if audience == P else aftersales
        # Written over the past weeks, so the history reads like a real knowledge base.
        written = _at(today - timedelta(days=30 - index % 20), 9 + index % 8, (index * 7) % 60)
        script = ReplyScript(
            category=category,
            audience=audience,
            question=question,
            answer=answer,
            updated_at=written,
            updated_by=author,
        )
        script._history_user = author  # type: ignore[attr-defined]
        script._history_date = written  # type: ignore[attr-defined]
        script.save()
        created += 1
        edit = edits.get(question)
        if edit is None:
            continue
        editor = manager if edit.days_ago else aftersales
        if edit.days_ago == 0:
            # Today's changes go through the service, as staff make them.
            script_services.script_update(
                script_id=script.pk,
                category=category,
                audience=audience,
                question=question,
                answer=edit.answer or answer,
                active=edit.active,
                change_note=edit.note,
                by=editor,
            )
            continue
        when = _at(today - timedelta(days=edit.days_ago), 11, 20)
        script.answer = edit.answer or answer
        script.active = edit.active
        script.updated_at = when
        script.updated_by = editor
        script._history_user = editor  # type: ignore[attr-defined]
        script._history_date = when  # type: ignore[attr-defined]
        script._change_reason = edit.note  # type: ignore[attr-defined]
        script.save()
    return created


def _demo_orders(count: int) -> list[Order]:
    """Delivered orders of distinct identified customers, oldest demo customers first."""
    seen: set[int] = set()
    picked: list[Order] = []
    orders = (
        Order.objects.filter(
            customer__isnull=False,
            state__in=[OrderState.DELIVERED, OrderState.COMPLETED, OrderState.SHIPPED],
        )
        .select_related("customer")
        .order_by("pk")
    )
    for order in orders.iterator():
        if order.customer_id in seen:
            continue
        seen.add(order.customer_id)
        picked.append(order)
        if len(picked) == count:
            break
    return picked


def _backdate(case: AfterSalesCase, order: Order, days_ago: int) -> None:
    """Move a demo case's times (and its log) back to when the story happened: opened
    ``days_ago`` days ago (not before the day after its order arrived), then resolved,
    closed and reopened on days spread between the opening and today, in office hours."""
    now = timezone.now()
    today = timezone.localdate()
    arrived = timezone.localdate(order.delivered_at or order.shipped_at or order.placed_at)
    opened_day = min(max(today - timedelta(days=days_ago), arrived + timedelta(days=1)), today)
    opened = min(_at(opened_day, 9, 40), now - timedelta(hours=1))
    span = (today - opened_day).days

    def later(fraction: float, hour: int) -> datetime:
        day = opened_day + timedelta(days=round(span * fraction))
        return min(max(_at(day, hour, 15), opened), now - timedelta(minutes=30))

    times = {"resolve": later(0.25, 11), "close": later(0.5, 15), "reopen": later(0.75, 10)}
    AfterSalesCase.objects.filter(pk=case.pk).update(
        opened_at=opened,
        resolved_at=times["resolve"] if case.resolved_at else None,
        closed_at=times["close"] if case.closed_at else None,
    )
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(AfterSalesCase), object_id=case.pk
    )
    for log in logs:
        log.timestamp = times.get(log.transition, log.timestamp)
        log.save(update_fields=["timestamp"])


def _seed_cases(users_by_role: dict[str, Any]) -> list[AfterSalesCase | None]:
    """The demo cases in the order of ``CASES`` (None where no demo customer was found)."""
    service = _pick_user(users_by_role, RoleCode.AFTERSALES_SERVICE, RoleCode.MANAGER)
    orders = _demo_orders(len(CASES))
    made: list[AfterSalesCase | None] = []
    for index, (category, problem, state, days_ago, cause, resolution) in enumerate(CASES):
        existing = AfterSalesCase.objects.filter(problem=problem).first()
        if existing is not None or index >= len(orders):
            made.append(existing)
            continue
        order = orders[index]
        case = case_services.case_open(
            customer_id=cast(int, order.customer_id),
            order_id=order.pk,
            category=category,
            problem=problem,
            owner_id=service.pk,
            by=service,
        )
        if state in ("resolved", "closed", "reopened"):
            case_services.case_resolve(
                case_id=case.pk, cause=cause, resolution=resolution, by=service
            )
        if state in ("closed", "reopened"):
            case_services.case_close(case_id=case.pk, by=service)
        if state == "reopened":
            case_services.case_reopen(case_id=case.pk, reason="客户来电：问题再次出现", by=service)
        case.refresh_from_db()
        _backdate(case, order, days_ago)
        made.append(case)
    return made


def _callback_time(when: tuple[str, int, int], today: date) -> datetime:
    kind, first, second = when
    if kind == "today":
        return _at(today, first, second)
    if kind == "ago":
        return _at(today - timedelta(days=first), second)
    return _at(today + timedelta(days=first), second)


def _seed_callbacks(users_by_role: dict[str, Any], cases: list[AfterSalesCase | None]) -> int:
    service = _pick_user(users_by_role, RoleCode.AFTERSALES_SERVICE, RoleCode.MANAGER)
    today = timezone.localdate()
    spare = list(
        Customer.objects.filter(orders__state=OrderState.COMPLETED).distinct().order_by("pk")[:3]
    )
    created = 0
    for purpose, when, case_index, outcome in CALLBACKS:
        case = cases[case_index] if case_index is not None and case_index < len(cases) else None
        customer_id = case.customer_id if case is not None else (spare[0].pk if spare else None)
        if customer_id is None:
            continue
        if Callback.objects.filter(customer_id=customer_id, purpose=purpose).exists():
            continue
        callback = case_services.callback_schedule(
            customer_id=customer_id,
            case_id=case.pk if case is not None else None,
            purpose=purpose,
            scheduled_at=timezone.now() + timedelta(minutes=5),
            owner_id=service.pk,
            by=service,
        )
        scheduled = _callback_time(when, today)
        if case is not None and scheduled < timezone.now():
            # A past call comes after the case was opened, one made after it was resolved.
            case.refresh_from_db()
            floor = (case.resolved_at if outcome else None) or case.opened_at
            latest = timezone.now() - timedelta(hours=1)
            scheduled = min(max(scheduled, floor + timedelta(hours=1)), latest)
        changes: dict[str, Any] = {"scheduled_at": scheduled}
        if outcome:
            case_services.callback_record(
                callback_id=callback.pk,
                outcome=outcome,
                note="客户表示满意，感谢跟进"
                if outcome == CallbackOutcome.SATISFIED
                else "两次拨打无人接听",
                by=service,
            )
            changes.update(done_at=scheduled + timedelta(minutes=10), reminded_at=scheduled)
        elif scheduled < timezone.now() - timedelta(hours=2):
            changes["reminded_at"] = scheduled  # the sweep already reminded the owner
        Callback.objects.filter(pk=callback.pk).update(**changes)
        created += 1
    return created


def seed_cases_and_scripts(*, users_by_role: dict[str, Any]) -> dict[str, int]:
    """Seed the knowledge base, cases and callbacks; returns how many of each were added."""
    with transaction.atomic():
        scripts = _seed_scripts(users_by_role)
        if _pick_user(users_by_role, RoleCode.AFTERSALES_SERVICE, RoleCode.MANAGER) is None:
            return {"scripts": scripts, "cases": 0, "callbacks": 0}
        before = AfterSalesCase.objects.count()
        cases = _seed_cases(users_by_role)
        callbacks = _seed_callbacks(users_by_role, cases)
    return {
        "scripts": scripts,
        "cases": AfterSalesCase.objects.count() - before,
        "callbacks": callbacks,
    }
