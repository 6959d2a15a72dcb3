"""The settings pages: shop settings, members and quick replies, through Django forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kefu.errors import ServiceError
from kefu.playbook import services as playbook_services
from kefu.playbook.models import QuickReply
from kefu.shops.models import Membership, Role, Shop

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"


def login(client, member) -> None:  # type: ignore[no-untyped-def]
    assert client.login(username=member.user.username, password=PASSWORD)


def settings_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "新店名",
        "hours_start": "09:00",
        "hours_end": "22:30",
        "open_days": ["0", "1", "2", "3", "4"],
        "welcome_message": "亲，欢迎光临～",
        "away_message": "亲，我们下班啦，明早九点回复您～",
        "busy_message": "亲，前面还有 {排队人数} 位，请稍等～",
        "announcement": "满199减20",
        "default_capacity": "6",
    }
    form.update(changes)
    return form


# --- shop settings --------------------------------------------------------------------------


def test_owner_saves_the_shop_settings(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/settings/", settings_form(), follow=True)

    shop = Shop.objects.get(id=people.shop.id)
    assert (shop.name, shop.open_days, shop.default_capacity) == ("新店名", "01234", 6)
    assert shop.hours_end == dt.time(22, 30)
    assert shop.busy_message == "亲，前面还有 {排队人数} 位，请稍等～"
    assert "店铺设置已保存" in response.content.decode()


def test_settings_page_documents_the_queue_variable(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    assert "{排队人数}" in client.get("/desk/settings/").content.decode()


def test_settings_without_open_days_are_refused_in_chinese(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/settings/", settings_form(open_days=[]))

    assert response.status_code == 200
    assert "请至少选择一天营业日" in response.content.decode()
    assert Shop.objects.get(id=people.shop.id).name == people.shop.name


def test_service_refusal_is_shown_and_nothing_is_saved(make_shop, client, monkeypatch):
    people = make_shop()
    login(client, people.owner)

    def refuse(**_: object) -> None:
        raise ServiceError("bad_days", "营业日只能是周一到周日。")

    monkeypatch.setattr("kefu.shops.services.update_shop_settings", refuse)
    response = client.post("/desk/settings/", settings_form())

    html = response.content.decode()
    assert "营业日只能是周一到周日。" in html
    assert Shop.objects.get(id=people.shop.id).name == people.shop.name


def test_agent_sees_the_settings_read_only(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    html = client.get("/desk/settings/").content.decode()

    assert "只有店主可以修改店铺设置" in html
    assert "保存设置" not in html
    assert 'name="name"' in html and "disabled" in html


def test_agent_cannot_change_the_settings(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    response = client.post("/desk/settings/", settings_form())

    assert response.status_code == 403
    assert Shop.objects.get(id=people.shop.id).name == people.shop.name


def test_supervisor_cannot_change_the_settings(make_shop, client):
    people = make_shop()
    login(client, people.supervisor)

    response = client.post("/desk/settings/", settings_form())

    assert response.status_code == 403
    assert Shop.objects.get(id=people.shop.id).name == people.shop.name


def test_settings_form_without_csrf_token_is_rejected(make_shop):
    people = make_shop()
    client = Client(enforce_csrf_checks=True)
    login(client, people.owner)

    response = client.post("/desk/settings/", settings_form())

    assert response.status_code == 403
    assert Shop.objects.get(id=people.shop.id).name == people.shop.name


# --- members --------------------------------------------------------------------------------


def member_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "action": "create",
        "username": "xiaoli",
        "password": "long-enough-1",
        "display_name": "小丽",
        "role": "agent",
        "capacity": "5",
    }
    form.update(changes)
    return form


def row_form(member: Membership, **changes: object) -> dict[str, object]:
    prefix = f"m{member.id}"
    form: dict[str, object] = {
        "action": "update",
        "member_id": str(member.id),
        f"{prefix}-display_name": member.display_name,
        f"{prefix}-role": member.role,
        f"{prefix}-capacity": str(member.effective_capacity),
        f"{prefix}-is_active": "on",
    }
    form.update({f"{prefix}-{key}": value for key, value in changes.items()})
    if changes.get("is_active") is False:
        del form[f"{prefix}-is_active"]
    return form


def test_owner_adds_an_agent(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/members/", member_form(), follow=True)

    added = Membership.objects.get(shop=people.shop, user__username="xiaoli")
    assert (added.display_name, added.role, added.capacity) == ("小丽", Role.AGENT, 5)
    assert "已添加成员：小丽" in response.content.decode()


def test_taken_login_name_is_shown_next_to_the_field(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/members/", member_form(username=people.agent.user.username))

    html = response.content.decode()
    assert response.status_code == 200
    username_field = html.index('name="username"')
    assert "已被使用" in html[username_field : username_field + 600]
    assert Membership.objects.filter(shop=people.shop).count() == 4


def test_short_password_is_refused_in_chinese(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/members/", member_form(password="short"))

    assert "8" in response.content.decode()
    assert not get_user_model().objects.filter(username="xiaoli").exists()


def test_owner_changes_an_agents_role_and_capacity(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    client.post("/desk/members/", row_form(people.agent, role="supervisor", capacity="9"))

    agent = Membership.objects.get(id=people.agent.id)
    assert (agent.role, agent.capacity) == (Role.SUPERVISOR, 9)


def test_owner_deactivates_an_agent(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    client.post("/desk/members/", row_form(people.agent, is_active=False))

    assert Membership.objects.get(id=people.agent.id).is_active is False


def test_owner_cannot_demote_themselves(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/members/", row_form(people.owner, role="agent"))

    assert "不能取消自己的店主身份" in response.content.decode()
    assert Membership.objects.get(id=people.owner.id).role == Role.OWNER


def test_members_page_shows_who_is_online(make_shop, client):
    from tests.conftest import set_online

    people = make_shop()
    set_online(people.agent)
    login(client, people.owner)

    response = client.get("/desk/members/")

    online = [row["member"].id for row in response.context["rows"] if row["online"]]
    assert online == [people.agent.id]


def test_supervisor_cannot_add_members(make_shop, client):
    people = make_shop()
    login(client, people.supervisor)

    response = client.post("/desk/members/", member_form())

    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="xiaoli").exists()


def test_member_of_another_shop_cannot_be_changed(make_shop, client):
    people, other = make_shop(), make_shop()
    login(client, people.owner)

    response = client.post("/desk/members/", row_form(other.agent, capacity="1"))

    assert response.status_code == 404
    assert Membership.objects.get(id=other.agent.id).capacity == 2


# --- quick replies --------------------------------------------------------------------------


def test_supervisor_adds_a_quick_reply(make_shop, client):
    people = make_shop()
    login(client, people.supervisor)

    client.post("/desk/quick-replies/", {"keyword": "/发货", "text": "亲，今天下单明天发～"})

    reply = QuickReply.objects.get(shop=people.shop)
    assert (reply.keyword, reply.text) == ("发货", "亲，今天下单明天发～")


def test_duplicate_keyword_is_shown_next_to_the_field(make_shop, client):
    people = make_shop()
    playbook_services.create_quick_reply(actor=people.owner, keyword="发货", text="旧的")
    login(client, people.owner)

    response = client.post("/desk/quick-replies/", {"keyword": "发货", "text": "新的"})

    html = response.content.decode()
    keyword_field = html.index('name="keyword"')
    assert "已存在" in html[keyword_field : keyword_field + 600]
    assert QuickReply.objects.get(shop=people.shop).text == "旧的"


def test_quick_reply_page_documents_the_variables(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    html = client.get("/desk/quick-replies/").content.decode()

    for variable in ("{客户}", "{客服}", "{店铺}"):
        assert variable in html


def test_agent_reads_quick_replies_without_edit_buttons(make_shop, client):
    people = make_shop()
    playbook_services.create_quick_reply(actor=people.owner, keyword="发货", text="今天发")
    login(client, people.agent)

    html = client.get("/desk/quick-replies/").content.decode()

    assert "今天发" in html
    assert "添加快捷回复" not in html
    assert "/delete/" not in html


def test_agent_cannot_add_a_quick_reply(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    response = client.post("/desk/quick-replies/", {"keyword": "发货", "text": "今天发"})

    assert response.status_code == 403
    assert not QuickReply.objects.exists()


def test_owner_edits_a_quick_reply(make_shop, client):
    people = make_shop()
    reply = playbook_services.create_quick_reply(actor=people.owner, keyword="发货", text="旧")
    login(client, people.owner)

    client.post(f"/desk/quick-replies/{reply.id}/", {"keyword": "发货", "text": "新"})

    assert QuickReply.objects.get(id=reply.id).text == "新"


def test_owner_deletes_a_quick_reply(make_shop, client):
    people = make_shop()
    reply = playbook_services.create_quick_reply(actor=people.owner, keyword="发货", text="旧")
    login(client, people.owner)

    client.post(f"/desk/quick-replies/{reply.id}/delete/")

    assert not QuickReply.objects.filter(id=reply.id).exists()


def test_quick_reply_delete_needs_a_post(make_shop, client):
    people = make_shop()
    reply = playbook_services.create_quick_reply(actor=people.owner, keyword="发货", text="旧")
    login(client, people.owner)

    response = client.get(f"/desk/quick-replies/{reply.id}/delete/")

    assert response.status_code == 405
    assert QuickReply.objects.filter(id=reply.id).exists()


def test_another_shops_quick_reply_cannot_be_touched(make_shop, client):
    people, other = make_shop(), make_shop()
    theirs = playbook_services.create_quick_reply(actor=other.owner, keyword="发货", text="他们的")
    login(client, people.owner)

    assert client.get(f"/desk/quick-replies/{theirs.id}/").status_code == 404
    assert client.post(f"/desk/quick-replies/{theirs.id}/delete/").status_code == 404
    assert QuickReply.objects.filter(id=theirs.id).exists()


def test_quick_reply_text_is_shown_as_text(make_shop, client):
    people = make_shop()
    playbook_services.create_quick_reply(
        actor=people.owner, keyword="xss", text="<img src=x onerror=alert(1)>"
    )
    login(client, people.owner)

    html = client.get("/desk/quick-replies/").content.decode()

    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# --- the shop site's API key -------------------------------------------------------------------


def test_the_owner_sees_a_new_api_key_once_then_only_its_last_four(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    issued = client.post("/desk/settings/api-key/", {"action": "issue"})
    page = issued.content.decode()
    key = page.split('data-role="new-api-key">')[1].split("<")[0]
    later = client.get("/desk/settings/").content.decode()

    assert issued.status_code == 200 and key.startswith("kefu_")
    assert key not in later and f"末四位 {key[-4:]}" in later
    pushed = Client().post(
        "/api/orders",
        data='{"orders": [{"order_no": "W1", "amount": "9.90", "status": "paid"}]}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert pushed.status_code == 200


def test_revoking_the_key_from_the_page_ends_it(make_shop, client):
    people = make_shop()
    login(client, people.owner)
    client.post("/desk/settings/api-key/", {"action": "issue"})

    response = client.post("/desk/settings/api-key/", {"action": "revoke"})

    assert response.status_code == 302
    assert Shop.objects.get(id=people.shop.id).api_key_hash == ""


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_only_the_owner_may_issue_a_key(make_shop, client, role):
    people = make_shop()
    login(client, getattr(people, role))

    response = client.post("/desk/settings/api-key/", {"action": "issue"})

    assert response.status_code == 403
    assert Shop.objects.get(id=people.shop.id).api_key_hash == ""
    assert "订单推送 API 密钥" not in client.get("/desk/settings/").content.decode()


def test_the_owner_replaces_the_identity_secret_and_old_signatures_stop_working(make_shop, client):
    from kefu.customers import linking

    people = make_shop()
    old_secret = people.shop.identity_secret
    signature = linking.site_signature(secret=old_secret, site_customer_id="user-42")
    login(client, people.owner)

    response = client.post("/desk/settings/api-key/", {"action": "rotate_identity"})

    shop = Shop.objects.get(id=people.shop.id)
    assert response.status_code == 302 and shop.identity_secret != old_secret
    assert linking.identity_token(shop=shop, site_customer_id="user-42", signature=signature) == ""


def test_an_agent_cannot_replace_the_identity_secret(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    response = client.post("/desk/settings/api-key/", {"action": "rotate_identity"})

    assert response.status_code == 403
    assert Shop.objects.get(id=people.shop.id).identity_secret == people.shop.identity_secret
