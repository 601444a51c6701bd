"""The campaign summary report (活动总结报告), A4, in Chinese with a chart.

Built from the campaign's frozen results (``Campaign.results``, see
``selectors.campaign_results``): the facts, the chosen plan, the totals against the
targets, a chart of units sold against target per SKU, the SKU and channel tables, the
department tasks and the lessons learned.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ecomops import pdf
from ecomops.accounts.names import person_name

from .models import Campaign, PlanLine

STATE_ZH = {
    "dispatched": "已下达",
    "accepted": "处理中",
    "completed": "已完成",
    "declined": "已拒绝",
    "cancelled": "已取消",
}
KIND_ZH = {
    "stock": "仓储：备货",
    "service": "客服：培训与话术",
    "design": "设计：活动页面",
    "platform": "店长：平台报名",
}


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _pct(value: str | None) -> str:
    return f"{value}%" if value is not None else "—"


def _yuan(value: Any) -> str:
    return pdf.format_money(Decimal(str(value)))


def campaign_report(campaign: Campaign, *, lines: Sequence[PlanLine]) -> bytes:
    s = pdf.styles(size=10)
    results: dict[str, Any] = campaign.results or {}
    plan = campaign.chosen_plan
    window_end = campaign.ended_early_at or campaign.live_until
    story: list[Any] = [
        pdf.paragraph("促销活动总结报告", s.title),
        pdf.paragraph(
            f"活动编号：{campaign.number}　　报告日期：{pdf.chinese_date(timezone.localdate())}",
            s.body_right,
        ),
        Spacer(1, 3 * mm),
        pdf.key_value_table(
            [
                ("活动名称", campaign.name),
                ("活动目标", campaign.goal or "—"),
                ("负责人", person_name(campaign.owner)),
                ("活动时间", f"{_when(campaign.live_from)} 至 {_when(window_end)}"),
                (
                    "预热",
                    f"{campaign.preheat_from or '—'} 至 {campaign.preheat_until or '—'}"
                    f"（{campaign.preheat_channels or '—'}）",
                ),
                ("执行方案", plan.name if plan else "—"),
                ("促销机制", plan.mechanics if plan else "—"),
                ("选择理由", campaign.choice_reason or "—"),
            ],
            s,
        ),
        pdf.paragraph("总体结果", s.heading),
        pdf.data_table(
            ["指标", "实际", "目标", "达成率"],
            [
                [
                    "销售额(元)",
                    _yuan(results.get("revenue", "0")),
                    _yuan(results.get("target_sales", "0")),
                    _pct(results.get("revenue_vs_target")),
                ],
                [
                    "销量(件)",
                    str(results.get("units", 0)),
                    str(results.get("target_units", 0)),
                    _pct(results.get("units_vs_target")),
                ],
                ["订单数", str(results.get("orders", 0)), "—", "—"],
                [
                    "退货(件)",
                    str(results.get("returned_units", 0)),
                    "—",
                    _pct(results.get("return_rate")),
                ],
                ["预算(元)", _yuan(results.get("budget", "0")), "—", "—"],
            ],
            [50 * mm, 40 * mm, 40 * mm, 40 * mm],
            number_columns=(1, 2, 3),
        ),
        Spacer(1, 4 * mm),
    ]
    skus = results.get("skus", [])
    story.append(
        pdf.bar_chart(
            [row["sku"] for row in skus],
            [
                ("实际销量", [row["units"] for row in skus]),
                ("目标销量", [row["target_units"] for row in skus]),
                ("退货", [row["returned_units"] for row in skus]),
            ],
            title="各商品销量与目标",
        )
    )
    story += [
        pdf.paragraph("商品明细", s.heading),
        pdf.data_table(
            ["商品编码", "品名", "活动价", "订单", "销量", "目标", "达成率", "销售额", "退货"],
            [
                [
                    row["sku"],
                    row["name"],
                    _yuan(row["campaign_price"]),
                    str(row["orders"]),
                    str(row["units"]),
                    str(row["target_units"]),
                    _pct(row["units_vs_target"]),
                    _yuan(row["revenue"]),
                    str(row["returned_units"]),
                ]
                for row in skus
            ],
            [22 * mm, 38 * mm, 18 * mm, 12 * mm, 13 * mm, 13 * mm, 16 * mm, 24 * mm, 12 * mm],
            number_columns=(2, 3, 4, 5, 6, 7, 8),
            total_row=[
                "合计",
                "",
                "",
                str(results.get("orders", 0)),
                str(results.get("units", 0)),
                str(results.get("target_units", 0)),
                "",
                _yuan(results.get("revenue", "0")),
                str(results.get("returned_units", 0)),
            ],
        ),
        pdf.paragraph("分渠道明细", s.heading),
        pdf.data_table(
            ["渠道", "商品编码", "订单", "销量", "销售额(元)"],
            [
                [
                    row["channel_name"],
                    row["sku"],
                    str(row["orders"]),
                    str(row["units"]),
                    _yuan(row["revenue"]),
                ]
                for row in results.get("sku_channels", [])
            ]
            or [["—", "—", "0", "0", _yuan("0")]],
            [52 * mm, 34 * mm, 24 * mm, 24 * mm, 36 * mm],
            number_columns=(2, 3, 4),
        ),
        pdf.paragraph("部门协同任务", s.heading),
        pdf.data_table(
            ["任务", "任务编号", "部门处理", "豁免理由"],
            [
                [
                    KIND_ZH.get(task.kind, task.kind),
                    task.work_task.number,
                    STATE_ZH.get(task.work_task.state, task.work_task.state),
                    task.waiver_reason or "—",
                ]
                for task in campaign.tasks.select_related("work_task").order_by("pk")
            ]
            or [["—", "—", "—", "—"]],
            [40 * mm, 40 * mm, 30 * mm, 60 * mm],
        ),
        pdf.paragraph("经验总结", s.heading),
    ]
    story += [pdf.paragraph(line, s.body) for line in campaign.lessons.splitlines() if line.strip()]
    story += [
        Spacer(1, 8 * mm),
        pdf.paragraph(f"{settings.COMPANY_NAME}　营销中心", s.body_right),
    ]
    return pdf.build_pdf(story, title=f"促销活动总结报告 {campaign.number}")
