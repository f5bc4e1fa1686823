"""The model of the objects-mode benchmark: one `@validates` and one Python-side default,
as an application's model would have them."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "bench_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    qty: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20), default="import")

    @validates("name")
    def _tidy(self, key: str, value: str) -> str:
        if not value.strip():
            raise ValueError("an item needs a name")
        return value.strip().title()
