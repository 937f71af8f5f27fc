"""The staff home lists each person's places of work, by what they may do there."""

from __future__ import annotations

from django.urls import reverse

from ekseva.accounts import workspace
from ekseva.accounts.models import Posting, Role, User

from .conftest import login
from .test_commission_pages import KIOSK_PASSWORD, signed_in


def urls(user) -> set[str]:
    return {link["url"] for link in workspace.links_for(user)}


def test_a_kiosk_operator_is_shown_the_console_only(kiosk, operator):
    assert urls(operator) == {reverse("kiosks:console")}


def test_the_franchisee_also_gets_the_wallet_commission_and_operators(kiosk, franchisee):
    assert urls(franchisee) == {
        reverse("kiosks:console"),
        reverse("kiosks:wallet"),
        reverse("kiosks:commission"),
        reverse("kiosks:operators"),
    }


def test_operator_staff_get_the_back_office_and_no_kiosk_console(places):
    ops = User.objects.create_user("ops.work", "x-pass-2026-long")
    Posting.objects.create(user=ops, role=Role.OPERATOR_STAFF)
    shown = urls(ops)
    for name in (
        "payments:manage_list",
        "catalog:manage:index",
        "kiosks:manage_applications",
        "kiosks:manage_deposits",
        "kiosks:manage_payouts",
    ):
        assert reverse(name) in shown
    assert reverse("kiosks:console") not in shown


def test_a_district_coordinator_reviews_kiosks_but_moves_no_money(places):
    coordinator = User.objects.create_user("coord.work", "x-pass-2026-long")
    Posting.objects.create(
        user=coordinator, role=Role.DISTRICT_COORDINATOR, admin_unit=places.bhopal
    )
    shown = urls(coordinator)
    assert reverse("kiosks:manage_applications") in shown
    assert reverse("kiosks:manage_deposits") not in shown
    assert reverse("payments:manage_list") not in shown


def test_a_suspended_kiosks_operator_is_not_offered_the_console(kiosk, operator):
    from ekseva.kiosks.models import Kiosk

    Kiosk.objects.filter(pk=kiosk.pk).update(status=Kiosk.Status.SUSPENDED)
    assert reverse("kiosks:console") not in urls(operator)


def test_the_staff_home_page_shows_the_links_in_hindi(client, kiosk):
    owner = login(kiosk, role="franchisee")
    signed_in(client, owner, KIOSK_PASSWORD)
    page = client.get("/hi/account/staff/").content.decode()
    assert "आपका काम" in page and "/hi/kiosks/wallet/" in page
    home = client.get("/hi/").content.decode()
    assert "/hi/account/staff/" in home  # the menu leads back to it
