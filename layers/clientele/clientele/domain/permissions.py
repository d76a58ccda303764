"""Roles and the fixed set of permissions each one grants (SPEC section 5)."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_CONTACT = "customers:contact"
    CUSTOMERS_DELETE = "customers:delete"
    CUSTOMERS_MERGE = "customers:merge"
    CUSTOMERS_EXPORT = "customers:export"
    SALES_WRITE = "sales:write"
    LOYALTY_MANAGE = "loyalty:manage"
    MEMBERSHIPS_MANAGE = "memberships:manage"
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
        }
    ),
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
