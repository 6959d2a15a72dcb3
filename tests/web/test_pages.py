"""The customer widget, the demo shop page, the workbench page and the login page."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from kefu.shops import services as shop_services

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"


def login(client, member) -> None:  # type: ignore[no-untyped-def]
    assert client.login(username=member.user.username, password=PASSWORD)


def desk_config(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    html = response.content.decode()
    start = html.index('<script id="desk-config" type="application/json">') + len(
        '<script id="desk-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


# --- widget ---------------------------------------------------------------------------------


def test_widget_shows_the_shop_name_and_announcement(make_shop, client):
    people = make_shop(announcement="双11全场满199减20")

    response = client.get(f"/w/{people.shop.public_key}/")

    assert response.status_code == 200
    assert people.shop.name in response.content.decode()
    assert "双11全场满199减20" in response.content.decode()


def test_widget_may_be_framed_by_any_site(make_shop, client):
    people = make_shop()

    response = client.get(f"/w/{people.shop.public_key}/")

    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_widget_only_runs_our_own_scripts(make_shop, client):
    people = make_shop()

    response = client.get(f"/w/{people.shop.public_key}/")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_widget_escapes_html_in_the_announcement(make_shop, client):
    people = make_shop(announcement="<img src=x onerror=alert(1)>")

    html = client.get(f"/w/{people.shop.public_key}/").content.decode()

    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_widget_for_an_unknown_key_is_not_found(client, db):
    response = client.get("/w/no-such-key/")

    assert response.status_code == 404


def test_widget_tells_its_script_the_limits(make_shop, client, settings):
    people = make_shop()

    html = client.get(f"/w/{people.shop.public_key}/").content.decode()

    start = html.index('<script id="kefu-config" type="application/json">')
    config = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert config["key"] == people.shop.public_key
    assert config["max_chars"] == settings.KEFU_MAX_MESSAGE_CHARS
    assert config["max_image_bytes"] == settings.KEFU_MAX_IMAGE_BYTES


# --- demo shop page ------------------------------------------------------------------------


def test_demo_page_embeds_the_widget_like_a_real_site(make_shop, client):
    people = make_shop()

    html = client.get(f"/demo/{people.shop.public_key}/").content.decode()

    tag = (
        '<script src="http://testserver/static/kefu/widget.js" '
        f'data-shop="{people.shop.public_key}" async></script>'
    )
    assert tag in html


def test_demo_page_itself_may_not_be_framed(make_shop, client):
    people = make_shop()

    response = client.get(f"/demo/{people.shop.public_key}/")

    assert response.headers["X-Frame-Options"] == "DENY"


def test_demo_page_for_an_unknown_key_is_not_found(client, db):
    assert client.get("/demo/no-such-key/").status_code == 404


# --- workbench ------------------------------------------------------------------------------


def test_workbench_sends_strangers_to_the_login_page(client, db):
    response = client.get("/desk/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_workbench_refuses_a_login_without_a_shop(client, db):
    get_user_model().objects.create_user(username="drifter", password=PASSWORD)
    client.login(username="drifter", password=PASSWORD)

    response = client.get("/desk/")

    assert response.status_code == 403
    assert "这个账号还没有加入任何店铺" in response.content.decode()


def test_workbench_refuses_a_deactivated_agent(make_shop, client):
    people = make_shop()
    shop_services.update_member(actor=people.owner, member_id=people.agent.id, is_active=False)
    login(client, people.agent)

    assert client.get("/desk/").status_code == 403


def test_workbench_tells_its_script_who_is_working(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    config = desk_config(client.get("/desk/"))

    assert config["me"] == {"member_id": people.agent.id, "name": "小美", "role": "agent"}
    assert config["sees_all"] is False
    assert config["ws_path"] == "/ws/agent"


def test_workbench_tells_a_supervisor_they_see_everything(make_shop, client):
    people = make_shop()
    login(client, people.supervisor)

    assert desk_config(client.get("/desk/"))["sees_all"] is True


def test_workbench_may_not_be_framed(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    response = client.get("/desk/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_agent_top_bar_has_no_owner_links(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    html = client.get("/desk/").content.decode()

    assert 'href="/desk/quick-replies/"' in html
    assert 'href="/desk/settings/"' not in html
    assert 'href="/desk/members/"' not in html


def test_owner_top_bar_links_to_the_settings_pages(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    html = client.get("/desk/").content.decode()

    assert 'href="/desk/settings/"' in html
    assert 'href="/desk/members/"' in html


def test_workbench_logout_is_a_csrf_protected_post(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    html = client.get("/desk/").content.decode()

    form_start = html.index('action="/accounts/logout/"')
    assert 'method="post"' in html[form_start - 40 : form_start]
    assert 'name="csrfmiddlewaretoken"' in html[form_start : form_start + 300]


def test_workbench_escapes_the_agent_name(make_shop, client):
    people = make_shop()
    shop_services.update_member(
        actor=people.owner, member_id=people.agent.id, display_name="<script>alert(1)</script>"
    )
    login(client, people.agent)

    html = client.get("/desk/").content.decode()

    assert "<script>alert(1)</script>" not in html


# --- login ----------------------------------------------------------------------------------


def test_login_page_is_in_chinese(client, db):
    html = client.get("/accounts/login/").content.decode()

    assert "账号登录" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_login_leads_to_the_workbench(make_shop, client):
    people = make_shop()

    response = client.post(
        "/accounts/login/", {"username": people.agent.user.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/desk/"


def test_wrong_password_is_explained_on_the_login_page(make_shop, client):
    people = make_shop()

    response = client.post(
        "/accounts/login/", {"username": people.agent.user.username, "password": "wrong-one"}
    )

    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
