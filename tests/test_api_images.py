"""Pictures over real HTTP: product images, and portraits generated and kept on the profile."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from hashira_serving import portraits
from tests.api_fixtures import SHOPPER

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def shopper(api_server):
    return api_server.headers(SHOPPER)


def test_product_images_are_served_and_unknown_ids_are_404(api_server, shopper):
    url = api_server.url
    first = requests.get(f"{url}/products", headers=shopper, timeout=60).json()["items"][0]
    answer = requests.get(f"{url}/products/{first['product_id']}/image", headers=shopper,
                          timeout=60)  # fmt: skip
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(answer.content))
    assert image.format == "WEBP" and image.size == (192, 192)
    again = requests.get(f"{url}/products/{first['product_id']}/image", headers=shopper, timeout=60)
    assert again.content == answer.content
    missing = requests.get(f"{url}/products/999999/image", headers=shopper, timeout=60)
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]
    assert requests.get(f"{url}/products/1/image", timeout=60).status_code == 401


def test_generate_image_draws_a_portrait_by_seed_and_saves_it_on_request(
    api_server, shopper, monkeypatch
):
    url = f"{api_server.url}/generate_image"
    body = {"breathing_style": "Water", "weapon_type": "Katana", "name": "Tanjiro", "seed": 11}
    first = requests.post(url, headers=shopper, json=body, timeout=120)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/png"
    assert first.headers["x-portrait-generator"].startswith("hashira-slayer-portraits v")
    assert first.headers["x-portrait-seed"] == "11" and "x-portrait-id" not in first.headers
    assert Image.open(io.BytesIO(first.content)).size == (256, 256)
    same = requests.post(url, headers=shopper, json=body, timeout=120)
    assert same.content == first.content  # one seed, one portrait
    saved = requests.post(url, headers=shopper, json={**body, "save_to_profile": True}, timeout=120)
    portrait_id = int(saved.headers["x-portrait-id"])
    monkeypatch.setenv("HASHIRA_HOME", str(api_server.home))  # the server's app database
    kept = portraits.profile_portraits(SHOPPER[0])
    assert kept[0].portrait_id == portrait_id and kept[0].image_png == first.content


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"breathing_style": "Lava", "weapon_type": "katana"}, "unknown breathing style"),
        ({"breathing_style": "Water", "weapon_type": "haori"}, "not a weapon"),
        ({"breathing_style": "Water", "weapon_type": "katana", "seed": -1}, "greater than"),
        ({"breathing_style": "Water", "weapon_type": "katana", "name": "x" * 61}, "at most"),
        ({"breathing_style": "Water"}, "weapon_type"),
    ],
)
def test_generate_image_refuses_bad_requests(api_server, shopper, body, fragment):
    answer = requests.post(f"{api_server.url}/generate_image", headers=shopper, json=body,
                           timeout=60)  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert fragment in answer.text and "Traceback" not in answer.text
