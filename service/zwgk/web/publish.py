"""Router: filled in this session (see web/__init__.py)."""

from fastapi import APIRouter


def router(state) -> APIRouter:
    return APIRouter()
