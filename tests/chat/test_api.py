"""The JSON API: agent actions behind session + CSRF, quick replies, customer image upload."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from PIL import Image

from kefu.chat import services as chat_services
from kefu.chat.models import Conversation, Message
from kefu.playbook.models import QuickReply


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def logged_in(member, *, enforce_csrf: bool = False) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(member.user)
    return client


def waiting_conversation(shop) -> Conversation:  # type: ignore[no-untyped-def]
    visitor = chat_services.get_or_create_visitor(shop=shop, token=None)
    (stored,), _ = chat_services.store_messages([chat_services.Outgoing(
        shop_id=shop.id, visitor_id=visitor.id, client_id="c1", text="在吗")])
    return Conversation.objects.get(id=stored.message["conversation"])


@pytest.mark.django_db
def test_claim_without_the_csrf_token_is_refused(make_shop):
    people = make_shop()
    conv = waiting_conversation(people.shop)
    client = logged_in(people.agent, enforce_csrf=True)
    response = client.post(f"/api/conversations/{conv.id}/claim")
    assert response.status_code == 403
    conv.refresh_from_db()
    assert conv.assignee_id is None


@pytest.mark.django_db
def test_claim_with_the_csrf_token_takes_the_conversation(make_shop):
    people = make_shop()
    conv = waiting_conversation(people.shop)
    client = logged_in(people.agent, enforce_csrf=True)
    client.get("/desk/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(f"/api/conversations/{conv.id}/claim", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json()["conversation"]["assignee"]["id"] == people.agent.id


@pytest.mark.django_db
def test_the_api_needs_a_login(make_shop):
    people = make_shop()
    conv = waiting_conversation(people.shop)
    assert Client().get("/api/conversations").status_code == 401
    assert Client().post(f"/api/conversations/{conv.id}/close").status_code == 401


@pytest.mark.django_db
def test_another_shops_conversation_is_not_found(make_shop):
    ours, theirs = make_shop(), make_shop()
    conv = waiting_conversation(theirs.shop)
    response = logged_in(ours.owner).post(f"/api/conversations/{conv.id}/close")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_conversation"


@pytest.mark.django_db
def test_transfer_goes_to_a_colleague_with_the_note(make_shop):
    people = make_shop()
    conv = waiting_conversation(people.shop)
    client = logged_in(people.agent)
    client.post(f"/api/conversations/{conv.id}/claim")
    response = client.post(
        f"/api/conversations/{conv.id}/transfer",
        data=json.dumps({"to_member": people.agent2.id, "note": "要开发票"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["conversation"]["assignee"]["name"] == "阿杰"
    assert conv.events.filter(kind="transferred", note="要开发票").exists()


@pytest.mark.django_db
def test_quick_replies_come_with_variables_filled(make_shop):
    people = make_shop()
    conv = waiting_conversation(people.shop)
    QuickReply.objects.create(shop=people.shop, keyword="你好", text="{客户}您好，我是{客服}，欢迎来{店铺}")
    QuickReply.objects.create(shop=make_shop().shop, keyword="你好", text="别家的")
    response = logged_in(people.agent).get(f"/api/quick-replies?q=你&conversation={conv.id}")
    replies = response.json()["quick_replies"]
    assert len(replies) == 1
    assert replies[0]["text"] == f"{conv.visitor.nickname}您好，我是小美，欢迎来{people.shop.name}"


@pytest.mark.django_db
def test_a_customer_can_send_a_product_photo(make_shop):
    people = make_shop()
    visitor = chat_services.get_or_create_visitor(shop=people.shop, token=None)
    upload = io.BytesIO(png_bytes())
    upload.name = "photo.png"
    response = Client().post("/api/visitor/upload", {
        "key": people.shop.public_key, "token": chat_services.visitor_token(visitor),
        "client_id": "img-1", "image": upload,
    })
    assert response.status_code == 200, response.content
    message = response.json()["message"]
    assert message["image_url"].startswith("/media/chat/") and message["image_url"].endswith(".png")
    assert Message.objects.get(client_id="img-1").conversation.visitor == visitor


@pytest.mark.django_db
@pytest.mark.parametrize("payload,name,code", [
    (b"MZ\x90\x00 not an image at all", "photo.png", "not_image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg",
     "not_image"),
])
def test_non_images_are_refused_with_a_reason(make_shop, payload, name, code):
    people = make_shop()
    visitor = chat_services.get_or_create_visitor(shop=people.shop, token=None)
    upload = io.BytesIO(payload)
    upload.name = name
    response = Client().post("/api/visitor/upload", {
        "key": people.shop.public_key, "token": chat_services.visitor_token(visitor),
        "client_id": "bad-1", "image": upload,
    })
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert "图片" in response.json()["error"]["message"]
    assert not Message.objects.filter(client_id="bad-1").exists()


@pytest.mark.django_db
def test_oversize_images_are_refused(make_shop, settings):
    settings.KEFU_MAX_IMAGE_BYTES = 1024
    people = make_shop()
    visitor = chat_services.get_or_create_visitor(shop=people.shop, token=None)
    upload = io.BytesIO(png_bytes((600, 600)) + b"\0" * 2048)
    upload.name = "big.png"
    response = Client().post("/api/visitor/upload", {
        "key": people.shop.public_key, "token": chat_services.visitor_token(visitor),
        "client_id": "big-1", "image": upload,
    })
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image_too_large"


@pytest.mark.django_db
def test_a_fresh_token_cannot_upload_files(make_shop):
    """A token costs nothing; disk and new conversations must not come with it."""
    people = make_shop()
    upload = io.BytesIO(png_bytes())
    upload.name = "photo.png"
    response = Client().post("/api/visitor/upload", {
        "key": people.shop.public_key, "token": "", "client_id": "img-x", "image": upload,
    })
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "say_hello_first"
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_a_retried_upload_stores_one_image_and_never_shows_the_coach(make_shop, settings):
    people = make_shop()
    visitor = chat_services.get_or_create_visitor(shop=people.shop, token=None)
    token = chat_services.visitor_token(visitor)

    def upload() -> dict:
        image = io.BytesIO(png_bytes())
        image.name = "photo.png"
        return Client().post("/api/visitor/upload", {
            "key": people.shop.public_key, "token": token, "client_id": "img-r", "image": image,
        }).json()

    first = upload()
    Message.objects.filter(client_id="img-r").update(meta={"coach": {"emotion": "angry"}})
    again = upload()
    assert again["message"]["id"] == first["message"]["id"]
    assert "coach" not in again["message"].get("meta", {})
    stored = list((settings.MEDIA_ROOT / "chat" / str(people.shop.id)).iterdir())
    assert len([p for p in stored if p.name in first["message"]["image_url"]]) == 1
    assert Message.objects.filter(client_id="img-r").count() == 1
