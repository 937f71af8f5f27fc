import pytest
from django.urls import reverse

from .conftest import ping

pytestmark = pytest.mark.django_db


def test_operator_staff_can_read_the_outbox_but_not_edit_it(admin_client, no_dispatch):
    message = ping(params={"nonce": "ADM"})
    changelist = admin_client.get(reverse("admin:notifications_message_changelist"))
    assert changelist.status_code == 200
    assert "9876543210" in changelist.content.decode()
    detail = admin_client.get(reverse("admin:notifications_message_change", args=[message.pk]))
    assert detail.status_code == 200
    assert "ADM" in detail.content.decode()
    assert admin_client.get(reverse("admin:notifications_message_add")).status_code == 403
    delete_url = reverse("admin:notifications_message_delete", args=[message.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403


def test_others_are_refused(client, django_user_model, no_dispatch):
    url = reverse("admin:notifications_message_changelist")
    assert client.get(url).status_code == 302  # to the sign-in page
    citizen = django_user_model.objects.create_user("9876543210", "a-long-password")
    client.force_login(citizen)
    assert client.get(url).status_code == 302
    staff = django_user_model.objects.create_user("clerk", "a-long-password", is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 403  # staff without the view permission
