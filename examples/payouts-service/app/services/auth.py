"""API keys are stored per user in the database (they used to be one environment variable)."""

from fastapi import Depends, Header, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Account


def require_api_key(x_api_key: str = Header(...), db: Session = Depends(get_db)) -> Account:
    account = db.scalars(select(Account).where(Account.owner == x_api_key)).first()
    if account is None:
        raise HTTPException(401, "invalid API key")
    return account
