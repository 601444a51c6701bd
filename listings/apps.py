from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = _("Listings")

    def ready(self) -> None:
        from ecomops.accounts.roles import RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue

        from . import selectors
        from .demo import seed_listings

        catalog_view = {
            "listings.view_brand",
            "listings.view_category",
            "listings.view_product",
            "listings.view_sku",
            "listings.view_skuimage",
            "listings.view_skuprice",
        }
        grant(
            RoleCode.BU_APPLICANT,
            catalog_view
            | {
                "listings.add_listingapplication",
                "listings.change_listingapplication",
                "listings.view_listingapplication",
                "listings.submit_listingapplication",
            },
        )
        grant(
            RoleCode.LISTING_REVIEWER,
            catalog_view
            | {"listings.view_listingapplication", "listings.review_listingapplication"},
        )
        grant(
            RoleCode.DESIGNER,
            catalog_view
            | {
                "listings.view_listingapplication",
                "listings.design_listingapplication",
                "listings.add_skuimage",
            },
        )
        grant(
            RoleCode.SHOP_MANAGER,
            catalog_view
            | {
                "listings.view_listingapplication",
                "listings.price_listingapplication",
                "listings.list_sku",
            },
        )
        for role in (
            RoleCode.SALES_REP,
            RoleCode.PRESALES_SERVICE,
            RoleCode.AFTERSALES_SERVICE,
            RoleCode.PROMOTION,
            RoleCode.NETWORK_SALES,
            RoleCode.DISTRIBUTION_SPECIALIST,
            RoleCode.BU_PARTS_ADMIN,
            RoleCode.WAREHOUSE_ADMIN,
            RoleCode.FINANCE_CLERK,
        ):
            grant(role, catalog_view)
        grant_manager_all_of("listings")

        section = _("Listings")
        for item in (
            NavItem(
                "listings.catalog",
                _("Catalog"),
                "listings:catalog",
                (),
                section,
                10,
                permission="listings.view_sku",
            ),
            NavItem(
                "listings.mine",
                _("My applications"),
                "listings:my_applications",
                (RoleCode.BU_APPLICANT,),
                section,
                11,
            ),
            NavItem(
                "listings.review",
                _("Review queue"),
                "listings:review_queue",
                (RoleCode.LISTING_REVIEWER,),
                section,
                12,
            ),
            NavItem(
                "listings.design",
                _("Design queue"),
                "listings:design_queue",
                (RoleCode.DESIGNER,),
                section,
                13,
            ),
            NavItem(
                "listings.pricing",
                _("Pricing and listing"),
                "listings:pricing_queue",
                (RoleCode.SHOP_MANAGER,),
                section,
                14,
            ),
        ):
            register_nav(item)

        register_queue(
            Queue(
                key="listings.mine",
                title=_("My listing applications in progress"),
                roles=(RoleCode.BU_APPLICANT,),
                url_name="listings:my_applications",
                count=lambda user: (
                    selectors.applications_of(user)
                    .exclude(state__in=["listed", "withdrawn"])
                    .count()
                ),
                late_count=lambda user: (
                    selectors.applications_of(user).filter(state="rejected").count()
                ),
                description=_("Rejected ones count as late: revise and resubmit them"),
                order=10,
            )
        )
        register_queue(
            Queue(
                key="listings.review",
                title=_("Applications to review"),
                roles=(RoleCode.LISTING_REVIEWER,),
                url_name="listings:review_queue",
                count=lambda user: selectors.review_queue().count(),
                late_count=lambda user: selectors.review_queue_late_count(),
                order=10,
            )
        )
        register_queue(
            Queue(
                key="listings.design",
                title=_("Detail pages to build"),
                roles=(RoleCode.DESIGNER,),
                url_name="listings:design_queue",
                count=lambda user: selectors.design_queue().count(),
                order=10,
            )
        )
        register_queue(
            Queue(
                key="listings.pricing",
                title=_("Products to price or list"),
                roles=(RoleCode.SHOP_MANAGER,),
                url_name="listings:pricing_queue",
                count=lambda user: (
                    selectors.pricing_queue().count() + selectors.publish_queue().count()
                ),
                order=10,
            )
        )
        register_seeder("listings", seed_listings, order=10)
