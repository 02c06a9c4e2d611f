"""A FastAPI application behind corecors, set up as docs/fastapi.md shows.

uvicorn --app-dir examples asgi_fastapi:app

The FastAPI object is ``api``: routes are declared on it. The server runs
``app``, the middleware wrapped around the whole application, so that every
response passes through it: preflights, 404s, validation errors, the 500
FastAPI answers for an exception, and streamed events.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse

from corecors import Config
from corecors.adapters.asgi import SCOPE_KEY, CORSMiddleware

api = FastAPI(title="items")

ITEMS: dict[int, str] = {1: "first"}


@api.get("/items/{item_id}")
async def read_item(item_id: int) -> dict[str, int | str]:
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="no such item")
    return {"id": item_id, "name": ITEMS[item_id]}


@api.put("/items/{item_id}")
async def write_item(item_id: int, request: Request) -> dict[str, int | str]:
    ITEMS[item_id] = (await request.body()).decode()
    return {"id": item_id, "name": ITEMS[item_id]}


@api.get("/why")
async def why(request: Request) -> dict[str, object]:
    """What corecors decided about this very request."""
    decision = request.scope[SCOPE_KEY]
    return {"allowed": decision.allowed, "reasons": list(decision.reasons)}


@api.get("/events")
async def events() -> StreamingResponse:
    async def stream() -> AsyncIterator[str]:
        for n in range(3):
            yield f"data: {n}\n\n"
            await asyncio.sleep(0)

    return StreamingResponse(stream(), media_type="text/event-stream")


@api.get("/boom")
async def boom() -> None:
    raise RuntimeError("something broke")


config = Config(
    allow_origins=["https://app.example.com", "http://localhost:5173"],
    allow_methods=["GET", "PUT"],
    allow_headers=["Content-Type", "Authorization"],
    expose_headers=["X-Request-Id"],
    allow_credentials=True,
)
app = CORSMiddleware(api, config)
