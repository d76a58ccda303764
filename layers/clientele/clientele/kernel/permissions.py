"""Who is calling (the principal resolved from an API key), roles and the permissions each grants (SPEC 5)."""

from __future__ import annotations

from enum import StrEnum

from clientele.kernel.entity import Entity
from clientele.kernel.errors import Forbidden, NotFound


class Permission(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_CONTACT = "customers:contact"
    CUSTOMERS_DELETE = "customers:delete"
    CUSTOMERS_MERGE = "customers:merge"
    CUSTOMERS_EXPORT = "customers:export"
    CUSTOMERS_HEALTH = "customers:health"  # intake forms: define them, read the answers (health data, GDPR Art. 9)
    SALES_WRITE = "sales:write"
    LOYALTY_MANAGE = "loyalty:manage"
    MEMBERSHIPS_READ = "memberships:read"  # memberships, types, quick views
    MEMBERSHIPS_WRITE = "memberships:write"  # enrol, edit, record a payment, request a mandate (the front desk)
    MEMBERSHIPS_MANAGE = "memberships:manage"  # types, settings, cancel, bank files and returns
    SETTINGS_MANAGE = "settings:manage"


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: frozenset(Permission) - {Permission.SETTINGS_MANAGE},
    Role.STAFF: frozenset(
        {
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_WRITE,
            Permission.CUSTOMERS_CONTACT,
            Permission.SALES_WRITE,
            Permission.LOYALTY_MANAGE,
            Permission.MEMBERSHIPS_READ,
            Permission.MEMBERSHIPS_WRITE,
        }
    ),
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


class Principal(Entity):
    """Who is calling: resolved from an API key by the authorizer."""

    merchant_id: str
    key_id: str
    role: Role
    site_ids: list[str] | None = None  # None: every site of the merchant
    # A snapshot of the merchant's account kept on the key, so that a request needs no extra read.
    # ``terms_accepted`` may lag by the authorizer cache TTL; a False is re-checked before refusing.
    terms_accepted: bool = False
    country: str = "NL"
    locale: str = "en"

    def can(self, permission: Permission) -> bool:
        return permission in permissions_of(self.role)


def require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise Forbidden(f"This API key's role ({principal.role.value}) lacks the permission {permission.value}.")


def visible_sites(principal: Principal, requested: str | None) -> list[str] | None:
    """The sites a list may cover: the key's sites, narrowed to ``requested`` if it may see it."""
    if requested is None:
        return principal.site_ids
    if principal.site_ids is not None and requested not in principal.site_ids:
        raise NotFound("No such site.", field="site_id")
    return [requested]
