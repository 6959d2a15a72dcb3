"""Temporary: snapshot the list/edit pages' HTML to compare before/after a refactor."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from kefu.playbook import services as ps

pytestmark = pytest.mark.django_db
OUT = Path(os.environ["SNAP_DIR"])
XSS = "<img src=x onerror=alert(1)>"


def norm(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r">\s+<", "><", html)
    return html.replace("><", ">\n<")


def test_snapshot(make_shop, client):
    people = make_shop(slug="snap")
    for who in ("owner", "agent"):
        client.logout()
        assert client.login(username=f"snap-{'owner' if who == 'owner' else 'a1'}", password="s3cret-pass")
        for lang in ("zh", "en"):
            hdr = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"} if lang == "en" else {}
            for url in ["/desk/faq/", "/desk/products/", "/desk/terms/", "/desk/scripts/",
                        "/desk/quick-replies/", "/desk/faq/?q=x"]:
                r = client.get(url, **hdr)
                (OUT / f"empty_{who}_{lang}_{url.replace('/', '_')}.html").write_text(norm(r.content.decode()))
    o = people.owner
    faq = ps.create_faq_entry(actor=o, questions="多久发货\n" + XSS, answer="48小时\n" + XSS)
    ps.create_script(actor=o, situation="closing", method="<b>法</b>", text=XSS, why="w<")
    s2 = ps.create_script(actor=o, situation="objection:price", method_id="average", text="按天算很划算", method="", why="")
    term = ps.create_checker_term(actor=o, term="<i>x</i>", category="rude", severity="low", suggestion=XSS)
    prod = ps.create_product(actor=o, name="毛衣" + XSS, list_price=Decimal("199"), floor_price=Decimal("169"), gift=XSS)
    qr = ps.create_quick_reply(actor=o, keyword="发货", text="亲\n" + XSS)
    urls = ["/desk/faq/", "/desk/faq/?q=发货", "/desk/faq/?q=没有的", "/desk/products/", "/desk/terms/",
            "/desk/scripts/", "/desk/quick-replies/", "/desk/quick-replies/?q=发货", "/desk/quick-replies/?q=zz<",
            f"/desk/faq/{faq.pk}/", f"/desk/scripts/{s2.pk}/", f"/desk/terms/{term.pk}/",
            f"/desk/products/{prod.pk}/", f"/desk/quick-replies/{qr.pk}/", "/desk/settings/"]
    for who in ("owner", "agent"):
        client.logout()
        assert client.login(username=f"snap-{'owner' if who == 'owner' else 'a1'}", password="s3cret-pass")
        for lang in ("zh", "en"):
            hdr = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"} if lang == "en" else {}
            for url in urls:
                r = client.get(url, **hdr)
                (OUT / f"full_{who}_{lang}_{url.replace('/', '_')}.html").write_text(
                    f"{r.status_code}\n" + norm(r.content.decode()))
            # invalid posts: errors re-shown
            for url, data in [("/desk/faq/", {"questions": "多久发货", "answer": "x"}),
                              ("/desk/products/", {"name": "a", "list_price": "1", "floor_price": "5"}),
                              ("/desk/terms/", {"term": "", "category": "rude", "severity": "low"}),
                              ("/desk/scripts/", {"situation": "closing", "method_id": "nope", "text": "x"}),
                              ("/desk/quick-replies/", {"keyword": "发货", "text": "x"}),
                              (f"/desk/products/{prod.pk}/", {"name": "a", "list_price": "1", "floor_price": "5"}),
                              (f"/desk/quick-replies/{qr.pk}/", {"keyword": "", "text": "x"}),
                              ("/desk/settings/", {"name": ""})]:
                r = client.post(url, data, **hdr)
                (OUT / f"post_{who}_{lang}_{url.replace('/', '_')}.html").write_text(
                    f"{r.status_code}\n" + norm(r.content.decode()))
    # successful edit + create + delete flows, with messages
    client.logout()
    assert client.login(username="snap-owner", password="s3cret-pass")
    steps = [("/desk/scripts/", {"situation": "closing", "method": "催单", "text": "亲，今天下单马上发哦，最低价"}),
             (f"/desk/scripts/{s2.pk}/", {"situation": "objection:price", "method_id": "average", "text": "保证最便宜"}),
             (f"/desk/quick-replies/{qr.pk}/", {"keyword": "发货2", "text": "y"}),
             ("/desk/quick-replies/", {"keyword": "新", "text": "z"}),
             (f"/desk/terms/{term.pk}/delete/", {}),
             (f"/desk/quick-replies/{qr.pk}/delete/", {}),
             (f"/desk/faq/{faq.pk}/delete/", {}),
             (f"/desk/faq/{faq.pk}/delete/", {}),
             (f"/desk/faq/{faq.pk}/", {"questions": "a", "answer": "b"})]
    for i, (url, data) in enumerate(steps):
        r = client.post(url, data, follow=True)
        (OUT / f"flow_{i}.html").write_text(f"{r.status_code} {r.redirect_chain}\n" + norm(r.content.decode()))
    client.logout()
    assert client.login(username="snap-a1", password="s3cret-pass")
    for i, (url, data) in enumerate(steps):
        r = client.post(url, data, follow=True)
        (OUT / f"flow_agent_{i}.html").write_text(f"{r.status_code} {r.redirect_chain}\n" + norm(r.content.decode()))
