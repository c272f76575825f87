"""The HTTP API."""

import logging

from dotenv import load_dotenv
from fastapi import FastAPI

load_dotenv(".env")

from app.api.routes import router  # noqa: E402  (after the environment is loaded)
from app.db import Base, engine  # noqa: E402

logging.basicConfig(level=logging.INFO)

app = FastAPI(title="payouts")
app.include_router(router)


@app.on_event("startup")
def create_tables() -> None:
    Base.metadata.create_all(bind=engine)
