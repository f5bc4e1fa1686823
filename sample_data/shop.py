"""An application's own models, as a team would have them: the test target of `model =`.

`Product` has what an import must honour: attribute names that differ from column names
(`sku` is the column `sku_code`), `@validates` that normalise and refuse, a Python-side
default, a type decorator with bind processing, mapper events, and a relationship to
`Category`, which a products file names. `Supplier` has only what the driver path can
honour too (defaults, an onupdate, a type decorator), so `auto` writes it natively.
"""

from __future__ import annotations

import codecs
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Numeric, String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    pass


class Rot13(TypeDecorator[str]):
    """Stored scrambled, read back plain: a stand-in for encryption at rest."""

    impl = String(200)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else codecs.encode(value, "rot13")

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else codecs.decode(value, "rot13")


class Category(Base):
    __tablename__ = "shop_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    products: Mapped[list[Product]] = relationship(back_populates="category")


class Product(Base):
    __tablename__ = "shop_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column("sku_code", String(20), unique=True,
                                     info={"etl": {"headers": ["SKU", "código"]}})
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    note: Mapped[str | None] = mapped_column(Rot13)
    created_by: Mapped[str] = mapped_column(String(40), default="etl-import")
    audit: Mapped[str | None] = mapped_column(String(40))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("shop_category.id"))
    category: Mapped[Category | None] = relationship(back_populates="products")

    @validates("name")
    def _tidy_name(self, key: str, value: str) -> str:
        if not value.strip():
            raise ValueError("a product needs a name")
        return " ".join(value.split()).title()

    @validates("sku")
    def _check_sku(self, key: str, value: str) -> str:
        if not value.isalnum():
            raise ValueError("a SKU is letters and digits only")
        return value.upper()


@event.listens_for(Product, "before_insert")
def _stamp_insert(mapper: Any, connection: Any, target: Product) -> None:
    target.audit = "inserted"


@event.listens_for(Product, "before_update")
def _stamp_update(mapper: Any, connection: Any, target: Product) -> None:
    target.audit = "updated"


def _supplier_kind() -> str:
    return "supplier"


class Supplier(Base):
    __tablename__ = "shop_supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    contact: Mapped[str | None] = mapped_column(Rot13)
    country: Mapped[str] = mapped_column(String(2), default="VE")
    kind: Mapped[str] = mapped_column(String(20), default=_supplier_kind)
    revised: Mapped[str | None] = mapped_column(String(10), onupdate="revised")
