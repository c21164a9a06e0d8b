"""Pictures: every product's image, and slayer portraits generated on request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from hashira_api import schemas
from hashira_api.deps import CurrentUser
from hashira_api.routes.products import ProductId
from hashira_serving import portraits, product_images

router = APIRouter(tags=["images"])

IMAGE_ERRORS = {404: {"model": schemas.Problem}, 503: {"model": schemas.Problem}}


@router.get(
    "/products/{product_id}/image",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}, "description": "The picture."},
        **IMAGE_ERRORS,
    },
)
def get_product_image(product_id: ProductId, _user: CurrentUser) -> Response:
    """A product's picture (WebP), drawn from its type, breathing style and rarity."""
    picture = product_images.product_image(product_id)
    return Response(
        picture.data,
        media_type=picture.media_type,
        headers={"Cache-Control": "private, max-age=3600"},
    )


class GenerateImage(BaseModel):
    breathing_style: Annotated[str, Field(max_length=40, examples=["Water"])]
    weapon_type: Annotated[str, Field(max_length=40, examples=["katana"])]
    name: Annotated[str, Field(max_length=portraits.MAX_NAME_LENGTH)] = "Slayer"
    seed: Annotated[int | None, Field(ge=0, le=2**31 - 1)] = None
    save_to_profile: bool = False


def _header(text: str) -> str:
    # HTTP headers are Latin-1: keep notes readable without breaking the response.
    return text.encode("ascii", "replace").decode("ascii")[:500]


@router.post(
    "/generate_image",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": {}},
            "description": "The portrait. Headers: X-Portrait-Generator, X-Portrait-Seed, "
            "X-Portrait-Note (only when a configured generator failed and another drew it), "
            "X-Portrait-Id (when saved to the profile).",
        },
        422: {"description": "Unknown breathing style or weapon type."},
        503: {"model": schemas.Problem},
    },
)
def generate_image(body: GenerateImage, user: CurrentUser) -> Response:
    """A portrait of a slayer wielding a weapon type, in a breathing style's colours (PNG)."""
    portrait = portraits.generate_portrait(
        portraits.PortraitRequest(body.breathing_style, body.weapon_type, body.name, body.seed)
    )
    headers = {
        "X-Portrait-Generator": _header(portrait.generator),
        "X-Portrait-Seed": str(portrait.seed),
    }
    if portrait.note:
        headers["X-Portrait-Note"] = _header(portrait.note)
    if body.save_to_profile:
        headers["X-Portrait-Id"] = str(portraits.save_to_profile(user.username, portrait))
    return Response(portrait.image_png, media_type="image/png", headers=headers)
