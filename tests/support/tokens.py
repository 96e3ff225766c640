"""The tokens the API tests write: 32 characters or more, in a file only its owner reads (the
service refuses others at start; tests/api/test_tokens.py)."""

from __future__ import annotations

from pathlib import Path

TOKENS = {role: f"{role[0]}-secret-{'x' * 32}" for role in ("reader", "editor", "admin")}


def token_file(folder: Path, roles: tuple[str, ...] = tuple(TOKENS)) -> Path:
    """A token file in ``folder`` giving each of ``roles`` the user ``<role>-user`` and its token."""
    path = folder / "tokens.txt"
    path.write_text("# name role token\n" + "".join(f"{role}-user {role} {TOKENS[role]}\n" for role in roles))
    path.chmod(0o600)
    return path


def bearer(role: str | None = None, token: str | None = None) -> dict[str, str]:
    """The Authorization header of ``role``'s token (or of ``token``); none without either."""
    token = token or TOKENS.get(role or "")
    return {"Authorization": f"Bearer {token}"} if token else {}
