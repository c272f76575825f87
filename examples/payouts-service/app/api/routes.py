"""HTTP routes."""

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from app.db import get_db
from app.repository import account_by_owner, pending_total
from app.services.auth import get_api_key, require_api_key

router = APIRouter()


@router.get("/accounts/{owner}/pending", dependencies=[Depends(require_api_key)])
def pending(owner: str, db: Session = Depends(get_db)) -> dict:
    account = account_by_owner(db, owner)
    if account is None:
        raise HTTPException(404, "no such account")
    return {"owner": owner, "pending": str(pending_total(db, account.id)), "key": get_api_key.__name__}
