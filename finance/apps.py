from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from ecomops.accounts.roles import RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue
        from warehouse.extensions import register_parcel_insert
        from warehouse.signals import parcel_packed

        from . import receivers, selectors
        from .demo import seed_finance

        parcel_packed.connect(receivers.on_parcel_packed, dispatch_uid="finance.parcel_packed")
        register_parcel_insert(receivers.parcel_inserts)

        view = {
            "finance.view_invoicerequest",
            "finance.view_invoice",
            "finance.view_payment",
            "finance.view_refund",
        }
        grant(
            RoleCode.FINANCE_CLERK,
            view
            | {
                "finance.issue_invoice",
                "finance.request_invoice",
                "finance.issue_red_letter",
                "finance.view_redletterrequest",
                "finance.match_payment",
                "finance.pay_refund",
                "finance.view_reconciliationrun",
                "finance.run_reconciliation",
                "finance.view_settlement",
                "finance.confirm_settlement_finance",
                "finance.view_remittance",
            },
        )
        for role in (RoleCode.AFTERSALES_SERVICE, RoleCode.PRESALES_SERVICE):
            grant(role, {"finance.view_invoicerequest", "finance.request_invoice"})
        grant(RoleCode.AFTERSALES_SERVICE, {"finance.view_refund", "finance.request_refund"})
        # Group-buying remittances in parts and net of fees, payment terms, customer statements.
        grant(
            RoleCode.FINANCE_CLERK,
            {"finance.accept_remittance_difference", "finance.view_creditterms"},
        )
        grant(RoleCode.BU_PARTS_ADMIN, {"finance.view_settlement", "finance.confirm_settlement_bu"})
        grant_manager_all_of("finance")

        section = _("Finance")
        clerks = (RoleCode.FINANCE_CLERK, RoleCode.MANAGER)
        for item in (
            NavItem("finance.home", _("Finance desk"), "finance:home", clerks, section, 40),
            NavItem(
                "finance.requests",
                _("Invoice requests"),
                "finance:request_list",
                (*clerks, RoleCode.AFTERSALES_SERVICE, RoleCode.PRESALES_SERVICE),
                section,
                41,
            ),
            NavItem("finance.invoices", _("Invoices"), "finance:invoice_list", clerks, section, 42),
            NavItem("finance.payments", _("Payments"), "finance:payment_list", clerks, section, 43),
            NavItem(
                "finance.receivables", _("Receivables"), "finance:receivables", clerks, section, 44
            ),
            NavItem(
                "finance.refunds",
                _("Refunds"),
                "finance:refund_list",
                (*clerks, RoleCode.AFTERSALES_SERVICE),
                section,
                45,
            ),
            NavItem(
                "finance.red_letters",
                _("Red-letter requests"),
                "finance:red_letter_request_list",
                clerks,
                section,
                45,
            ),
            NavItem("finance.runs", _("Reconciliation"), "finance:run_list", clerks, section, 46),
            NavItem(
                "finance.settlements",
                _("Settlements"),
                "finance:settlement_list",
                (*clerks, RoleCode.BU_PARTS_ADMIN),
                section,
                47,
            ),
        ):
            register_nav(item)
        for item in (
            NavItem(
                "finance.remittances",
                _("Group-buying remittances"),
                "finance:remittance_list",
                clerks,
                section,
                44,
            ),
            NavItem(
                "finance.customer_statements",
                _("Customer statements"),
                "finance:customer_list",
                clerks,
                section,
                44,
            ),
        ):
            register_nav(item)
        register_queue(
            Queue(
                key="finance.requests",
                title=_("Invoice requests to issue"),
                roles=(RoleCode.FINANCE_CLERK,),
                url_name="finance:home",
                count=lambda user: selectors.request_queue().count(),
                late_count=lambda user: selectors.request_queue_late_count(),
                description=_("Requests in before 15:00 are issued the same day"),
                order=10,
            )
        )
        register_queue(
            Queue(
                key="finance.refunds",
                title=_("Refunds to pay"),
                roles=(RoleCode.FINANCE_CLERK,),
                url_name="finance:refund_list",
                count=lambda user: selectors.refunds_to_pay().count(),
                description=_("Approved refunds"),
                order=11,
            )
        )
        register_queue(
            Queue(
                key="finance.refunds_to_approve",
                title=_("Refunds to approve"),
                roles=(RoleCode.MANAGER,),
                url_name="finance:refund_list",
                count=lambda user: selectors.refunds_to_approve().count(),
                description=_("Requested refunds"),
                order=12,
            )
        )
        register_queue(
            Queue(
                key="finance.payments",
                title=_("Payments to match"),
                roles=(RoleCode.FINANCE_CLERK,),
                url_name="finance:payment_list",
                count=lambda user: selectors.payments_to_match().count(),
                description=_("Bank transfers and payments without their order"),
                order=13,
            )
        )
        register_queue(
            Queue(
                key="finance.red_letters",
                title=_("Red-letter invoices to issue"),
                roles=(RoleCode.FINANCE_CLERK,),
                url_name="finance:red_letter_request_list",
                count=lambda user: selectors.red_letter_requests_to_issue().count(),
                description=_("Asked for by returns whose goods came back"),
                order=14,
            )
        )
        register_seeder("finance", seed_finance, order=40)
        # Fully digital e-invoices (数电票): the tax platform desk and the confirmation forms.
        register_nav(
            NavItem(
                "finance.platform",
                _("Tax platform (数电票)"),
                "finance:platform_desk",
                clerks,
                section,
                42,
            )
        )
        register_nav(
            NavItem(
                "finance.red_confirmations",
                _("Red-letter confirmation forms"),
                "finance:red_confirmation_list",
                clerks,
                section,
                45,
            )
        )

        # Statements (issue 22 §1)
        from .statement_demo import seed_statements

        register_seeder("finance.statements", seed_statements, order=41)
        grant(
            RoleCode.FINANCE_CLERK,
            {
                "finance.view_paymentaccount",
                "finance.view_statementline",
                "finance.import_statement",
            },
        )
        register_nav(
            NavItem(
                "finance.statements",
                _("Statements"),
                "finance:statement_list",
                clerks,
                section,
                48,
            )
        )
