"""The catalog as silver published it, and products staff add."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from hashira_api import schemas
from hashira_api.deps import CurrentUser, StaffUser
from hashira_serving import catalog
from resources.app_catalog import DuplicateProductError

router = APIRouter(prefix="/products", tags=["products"])
ProductId = Annotated[int, Path(ge=0, le=2**31 - 1, description="A product id.")]


@router.get("", response_model=schemas.ProductPage)
def list_products(
    _user: CurrentUser,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in the name or description.")
    ] = None,
    product_type: Annotated[str | None, Query(max_length=40)] = None,
    department: Annotated[str | None, Query(max_length=40)] = None,
    breathing_style: Annotated[str | None, Query(max_length=40)] = None,
    rarity: Annotated[str | None, Query(max_length=40)] = None,
    min_price: Annotated[float | None, Query(ge=0, le=1e9)] = None,
    max_price: Annotated[float | None, Query(ge=0, le=1e9)] = None,
    in_stock: bool | None = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=catalog.MAX_PAGE_SIZE)] = 20,
) -> schemas.ProductPage:
    """Products matching the filters, a page at a time, ordered by id."""
    query = catalog.ProductQuery(
        q, product_type, department, breathing_style, rarity, min_price, max_price, in_stock,
        offset, limit,
    )  # fmt: skip
    total, items = catalog.search_products(query)
    return schemas.ProductPage(total=total, offset=offset, limit=limit, items=items)


@router.get(
    "/{product_id}", response_model=schemas.Product, responses={404: {"model": schemas.Problem}}
)
def get_product(product_id: ProductId, _user: CurrentUser) -> schemas.Product:
    """One product's facts."""
    return schemas.Product(**catalog.product(product_id))


@router.post(
    "",
    response_model=schemas.PendingProduct,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"model": schemas.Problem}, 409: {"model": schemas.Problem}},
)
def add_product(body: schemas.NewProduct, staff: StaffUser) -> schemas.PendingProduct:
    """Add a product (staff): it is listed once the graph lands it in silver and the index."""
    try:
        product_id = catalog.add_product(body.model_dump(), staff.username)
    except (DuplicateProductError, ValueError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return schemas.PendingProduct(product_id=product_id, status="pending", product=body)
