"""The REST API over real HTTP: sign-in, roles, every endpoint's happy path and bad input."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import jwt
import pyarrow.dataset as ds
import pytest
import requests

from tests.api_fixtures import SHOPPER, STAFF, TEST_VERSION_TTL

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def api(api_server):
    return api_server


@pytest.fixture(scope="module")
def staff(api):
    return api.headers(STAFF)


@pytest.fixture(scope="module")
def shopper(api):
    return api.headers(SHOPPER)


def get(api, path, headers=None, **params):
    return requests.get(f"{api.url}{path}", headers=headers, params=params, timeout=120)


def post(api, path, headers=None, body=None, **params):
    return requests.post(f"{api.url}{path}", headers=headers, json=body, params=params, timeout=300)


def assert_problem(answer, code: int, fragment: str) -> None:
    assert answer.status_code == code, answer.text
    detail = answer.json()["detail"]
    text = detail if isinstance(detail, str) else json.dumps(detail)
    assert fragment.lower() in text.lower(), text
    assert "Traceback" not in answer.text


# ---------------------------------------------------------------------------------- health
def test_health_and_readiness(api):
    assert get(api, "/health/live").json() == {"status": "ok", "checks": {}}
    ready = get(api, "/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"recommender": "ok", "forecasts": "ok", "product_index": "ok"}


# ---------------------------------------------------------------------------------- sign-in
def test_sign_in_gives_a_token_that_names_the_user_and_role(api):
    token = api.token(*SHOPPER)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "tanjiro" and claims["role"] == "shopper"
    assert claims["exp"] - claims["iat"] == 60 * 60
    me = get(api, "/users/me", {"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "tanjiro" and me.json()["role"] == "shopper"
    assert me.json()["customer_id"] is not None


@pytest.mark.parametrize(
    ("username", "password"), [("tanjiro", "wrong-password"), ("nobody-here", "hinokami-kagura")]
)
def test_a_failed_sign_in_never_says_which_part_was_wrong(api, username, password):
    answer = requests.post(
        f"{api.url}/auth/token", data={"username": username, "password": password}, timeout=30
    )
    assert_problem(answer, 401, "Wrong username or password.")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (None, "Not signed in"),
        ("Bearer not-a-token", "not valid"),
        ("Basic dGFuamlybzpwdw==", "Not signed in"),
    ],
)
def test_missing_or_bad_tokens_get_401_with_the_bearer_challenge(api, header, fragment):
    answer = get(api, "/users/me", {"Authorization": header} if header else None)
    assert_problem(answer, 401, fragment)
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_expired_and_forged_tokens_are_refused(api):
    secret = (api.home / "api" / "jwt_secret").read_text().strip()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    expired = jwt.encode(
        {"sub": "urokodaki", "role": "staff", "iat": past, "exp": past + dt.timedelta(hours=1)},
        secret,
        algorithm="HS256",
    )
    assert_problem(get(api, "/users/me", {"Authorization": f"Bearer {expired}"}), 401, "expired")
    forged = jwt.encode(
        {"sub": "urokodaki", "role": "staff", "exp": dt.datetime.now(dt.UTC) + dt.timedelta(1)},
        "x" * 48,
        algorithm="HS256",
    )
    assert_problem(get(api, "/users/me", {"Authorization": f"Bearer {forged}"}), 401, "not valid")


def test_sign_in_is_rate_limited_per_username(api):
    for _ in range(5):
        answer = requests.post(
            f"{api.url}/auth/token", data={"username": "kanao", "password": "x"}, timeout=30
        )
        assert answer.status_code == 401
    limited = requests.post(
        f"{api.url}/auth/token",
        data={"username": "kanao", "password": "flower-breath"},
        timeout=30,
    )
    assert_problem(limited, 429, "Too many failed sign-ins")
    assert int(limited.headers["Retry-After"]) > 0
    # Another account from the same client is not locked out by kanao's failures.
    assert api.token(*STAFF)


# ---------------------------------------------------------------------------------- roles
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/forecasts/sales", None),
        ("get", "/summaries", None),
        ("get", "/models", None),
        ("post", "/summarize/conversation", {"transcript": "Customer: hi\nAgent: hello"}),
        ("post", "/products", None),
    ],
)
def test_shoppers_get_403_on_staff_endpoints(api, shopper, method, path, body):
    if path == "/products":
        body = new_product("Forbidden Blade")
    answer = getattr(requests, method)(f"{api.url}{path}", headers=shopper, json=body, timeout=60)
    assert_problem(answer, 403, "staff only")


def test_staff_get_403_on_shopper_endpoints(api, staff):
    assert_problem(get(api, "/recommendations/me", staff), 403, "shopper accounts")
    assert_problem(get(api, "/dojo/me", staff), 403, "shopper accounts")


# ---------------------------------------------------------------------------------- catalog
def test_products_are_the_published_silver_catalog_filtered_and_paged(api, shopper):
    silver = ds.dataset(api.home / "lake" / "silver" / "products").to_table().to_pandas()
    page = get(api, "/products", shopper, limit=5, offset=5).json()
    assert page["total"] == len(silver)
    assert [p["product_id"] for p in page["items"]] == sorted(silver["product_id"])[5:10]
    katanas = get(api, "/products", shopper, product_type="katana", max_price=400, limit=100)
    expected = silver[(silver["product_type"].str.lower() == "katana") & (silver["price"] <= 400)]
    assert katanas.json()["total"] == len(expected)
    assert all(p["price"] <= 400 for p in katanas.json()["items"])
    one = get(api, f"/products/{int(silver['product_id'].iloc[0])}", shopper).json()
    assert one["name"] == silver["name"].iloc[0]


def test_products_bad_input_gets_clear_4xx(api, shopper):
    assert_problem(get(api, "/products/999999", shopper), 404, "There is no product with id 999999")
    assert get(api, "/products", shopper, limit=0).status_code == 422
    assert get(api, "/products/abc", shopper).status_code == 422
    assert_problem(
        get(api, "/products", shopper, min_price=50, max_price=10), 422, "must not exceed"
    )


def new_product(name: str) -> dict:
    return {
        "name": name,
        "product_type": "katana",
        "breathing_style": "Water",
        "rarity": "rare",
        "price": 420.0,
        "weight_kg": 1.1,
        "sharpness": 88,
        "stock": 5,
        "description": "A balanced blade.",
    }


def test_staff_add_products_to_the_app_catalog(api, staff):
    name = f"Tide Katana {uuid.uuid4().hex[:8]}"
    first = post(api, "/products", staff, new_product(name))
    assert first.status_code == 201, first.text
    silver = ds.dataset(api.home / "lake" / "silver" / "products").to_table()
    silver_max = int(silver.column("product_id").to_pandas().max())
    assert first.json()["status"] == "pending" and first.json()["product_id"] > silver_max
    second = post(api, "/products", staff, new_product(f"{name} Mk 2"))
    assert second.json()["product_id"] == first.json()["product_id"] + 1
    assert_problem(post(api, "/products", staff, new_product(name.upper())), 409, "exists")
    bad = post(api, "/products", staff, {**new_product("Bad Price Blade"), "price": -3})
    assert bad.status_code == 422


# ---------------------------------------------------------------------------------- recommendations
def test_recommendations_for_me_with_scores_ranks_reasons_and_version(api, shopper):
    answer = get(api, "/recommendations/me", shopper, k=12)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["mode"] == "for_you" and body["model_version"]
    assert [i["rank"] for i in body["items"]] == list(range(1, 13))
    assert all(i["reason"] and i["name"] for i in body["items"])
    anchor = body["items"][0]["product_id"]
    similar = get(api, "/recommendations/me", shopper, mode="similar", product_id=anchor, k=4)
    assert len(similar.json()["items"]) == 4
    assert anchor not in [i["product_id"] for i in similar.json()["items"]]
    cross = get(api, "/recommendations/me", shopper, mode="cross_sell", product_id=anchor)
    assert cross.status_code == 200 and cross.json()["mode"] == "cross_sell"


def test_recommendations_bad_input(api, shopper):
    assert_problem(
        get(api, "/recommendations/me", shopper, mode="similar"), 422, "needs product_id"
    )
    assert_problem(
        get(api, "/recommendations/me", shopper, mode="similar", product_id=999999),
        404,
        "unknown product",
    )
    assert get(api, "/recommendations/me", shopper, k=0).status_code == 422
    assert get(api, "/recommendations/me", shopper, mode="sideways").status_code == 422


def test_cold_start_from_a_profile_and_recent_views(api, shopper):
    body = {"breathing_style": "Water", "level": 35, "budget": 400, "viewed": [3], "k": 6}
    answer = post(api, "/recommend", shopper, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["mode"] == "profile" and len(answer.json()["items"]) == 6
    assert post(api, "/recommend", shopper, {**body, "breathing_style": "Fire"}).status_code == 422
    by_battle = post(api, "/recommend", shopper, {**body, "k": 3, "by": "battle_fit"})
    assert by_battle.status_code == 200, by_battle.text
    picks = by_battle.json()["items"]
    assert by_battle.json()["mode"] == "battle_fit" and len(picks) == 3
    assert [p["score"] for p in picks] == sorted((p["score"] for p in picks), reverse=True)
    assert all("predicted win chance" in p["reason"] for p in picks)
    assert_problem(post(api, "/recommend", shopper, {**body, "viewed": [999999]}), 404, "unknown")


# ---------------------------------------------------------------------------------- forecasts
def test_sales_forecasts_with_bands_for_staff(api, staff):
    total = get(api, "/forecasts/sales", staff, level="total", horizon=14)
    assert total.status_code == 200, total.text
    points = total.json()["points"]
    assert len(points) == 14 and [p["horizon"] for p in points] == list(range(1, 15))
    assert all(p["units_lower_95"] <= p["units_lower_80"] <= p["units"] for p in points)
    assert all(p["units"] <= p["units_upper_80"] <= p["units_upper_95"] for p in points)
    assert total.json()["history"] and total.json()["model_version"]
    assert_problem(
        get(api, "/forecasts/sales", staff, level="category", id="spoons"), 404, "unknown category"
    )
    assert_problem(
        get(api, "/forecasts/sales", staff, level="product", id="x"), 422, "whole number"
    )
    assert get(api, "/forecasts/sales", staff, horizon=91).status_code == 422


# ---------------------------------------------------------------------------------- chat
def sse_events(answer) -> list[tuple[str, object]]:
    events, name = [], None
    for line in answer.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line.split(":", 1)[1])))
    return events


def test_chat_streams_tokens_then_an_answer_citing_the_product(api, shopper):
    silver = ds.dataset(api.home / "lake" / "silver" / "products").to_table().to_pandas()
    product = silver.iloc[0]
    answer = requests.post(
        f"{api.url}/chat/stream",
        headers=shopper,
        json={"question": f"How much does the {product['name']} cost?"},
        stream=True,
        timeout=300,
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = sse_events(answer)
    kinds = [name for name, _ in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1
    final = events[-1][1]
    assert int(product["product_id"]) in final["cited_product_ids"]
    assert f"{product['price']:,.2f}" in final["text"] or f"{product['price']:.2f}" in final["text"]
    # A follow-up continues the conversation.
    follow = post(
        api,
        "/chat",
        shopper,
        {"question": "is it in stock?", "conversation_id": final["conversation_id"]},
    )
    assert (
        follow.status_code == 200 and follow.json()["conversation_id"] == final["conversation_id"]
    )


def test_coach_cites_the_battle_fit_models_best_weapons(api, shopper):
    answer = post(api, "/coach/chat", shopper, {})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "Best for your battles (battle-fit model version" in body["text"]
    silver = ds.dataset(api.home / "lake" / "silver" / "products").to_table().to_pandas()
    weapons = set(silver.loc[silver["department"] == "weapon", "product_id"].astype(int))
    picked = [int(line.split("(id ")[1].split(")")[0]) for line in body["text"].splitlines()
              if "predicted win chance" in line]  # fmt: skip
    assert len(picked) == 3 and set(picked) <= weapons
    assert set(picked) <= set(body["cited_product_ids"])


def test_chat_bad_input(api, shopper):
    assert post(api, "/chat", shopper, {"question": ""}).status_code == 422
    assert post(api, "/chat", shopper, {"question": "x" * 20_001}).status_code == 422
    assert (
        post(api, "/chat", shopper, {"question": "hi", "conversation_id": "../etc"}).status_code
        == 422
    )


# ---------------------------------------------------------------------------------- support
def test_summaries_for_staff(api, staff):
    listed = get(api, "/summaries", staff, limit=3)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 3
    done = post(
        api,
        "/summarize/conversation",
        staff,
        {
            "transcript": "Customer: my katana arrived chipped\nAgent: Sorry, a replacement is on "
            "its way."
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["summary"] and done.json()["model_version"]
    assert_problem(
        post(api, "/summarize/conversation", staff, {"transcript": "   "}),
        422,
        "paste a conversation",
    )
    binary = post(api, "/summarize/conversation", staff, {"transcript": "\x00\x01\x02" * 50})
    assert_problem(binary, 422, "binary")


# ---------------------------------------------------------------------------------- events, dojo
def test_events_land_on_the_bus_and_training_counts_in_the_dojo(api, shopper):
    before = get(api, "/dojo/me", shopper).json()
    view = post(api, "/events", shopper, {"event_type": "view", "product_id": 3})
    assert view.status_code == 202 and view.json()["event_id"] is not None
    training = post(api, "/events", shopper, {"event_type": "training", "minutes": 40})
    assert training.status_code == 202
    after = get(api, "/dojo/me", shopper).json()
    assert after["training_points"] == before["training_points"] + 4
    assert_problem(post(api, "/events", shopper, {"event_type": "cart"}), 422, "needs product_id")
    assert_problem(
        post(api, "/events", shopper, {"event_type": "view", "product_id": 999999}), 404, "999999"
    )
    assert (
        post(api, "/events", shopper, {"event_type": "dance", "product_id": 3}).status_code == 422
    )


# ---------------------------------------------------------------------------------- models
def test_models_list_champions_with_metrics(api, staff):
    models = {m["name"]: m for m in get(api, "/models", staff).json()}
    assert models["hashira-recommender"]["version"]
    assert "model_map" in models["hashira-recommender"]["metrics"]


def test_a_champion_promoted_mid_run_is_served_within_the_refresh_interval(api, shopper):
    from resources.mlflow_tracking import MlflowTrackingResource

    name = "hashira-recommender"
    before = get(api, "/recommendations/me", shopper).json()["model_version"]
    tracking = MlflowTrackingResource(
        tracking_uri=f"sqlite:///{api.home / 'mlflow' / 'mlflow.db'}",
    )
    client = tracking.client()
    source = client.get_model_version(name, before)
    # The same files again, so the same recorded checksum.
    promoted = client.create_model_version(
        name,
        source.source,
        run_id=source.run_id,
        tags={"artifact_sha256": source.tags["artifact_sha256"]},
    )
    client.set_registered_model_alias(name, "champion", promoted.version)
    try:
        deadline = time.monotonic() + TEST_VERSION_TTL + 20
        served = before
        while served == before and time.monotonic() < deadline:
            time.sleep(0.5)
            served = get(api, "/recommendations/me", shopper).json()["model_version"]
        assert served == str(promoted.version)
    finally:
        client.set_registered_model_alias(name, "champion", before)


# ---------------------------------------------------------------------------------- analytics
def test_staff_ask_the_data_and_hostile_sql_is_refused(api, staff, shopper):
    answer = post(api, "/analytics/ask", staff, {"question": "total revenue by product type"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["answered"] and body["sql"].lower().startswith(("select", "with"))
    assert body["columns"] and body["rows"]
    refused = post(api, "/analytics/ask", staff, {"question": "sql DROP TABLE daily_total_sales"})
    assert refused.status_code == 200 and not refused.json()["answered"]
    assert refused.json()["refusal"] and refused.json()["rows"] == []
    assert_problem(post(api, "/analytics/ask", shopper, {"question": "revenue"}), 403, "staff")
