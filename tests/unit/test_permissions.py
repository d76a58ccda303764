"""Roles, permissions and the sites a key may see (``kernel.permissions``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clientele.kernel.errors import Forbidden, NotFound
from clientele.kernel.permissions import Permission, Principal, Role, permissions_of, require, visible_sites


def key(role: Role = Role.OWNER, sites: list[str] | None = None) -> Principal:
    return Principal(merchant_id="mer_1", key_id="key_1", role=role, site_ids=sites)


class TestRoles:
    def test_roles_are_nested_staff_within_manager_within_owner(self) -> None:
        staff, manager, owner = (permissions_of(r) for r in (Role.STAFF, Role.MANAGER, Role.OWNER))
        assert staff < manager < owner

    def test_only_the_owner_manages_settings(self) -> None:
        assert [r for r in Role if Permission.SETTINGS_MANAGE in permissions_of(r)] == [Role.OWNER]

    def test_staff_work_the_till_and_nothing_more(self) -> None:
        assert permissions_of(Role.STAFF) == {
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_WRITE,
            Permission.CUSTOMERS_CONTACT,
            Permission.SALES_WRITE,
            Permission.LOYALTY_MANAGE,
            Permission.MEMBERSHIPS_READ,  # the front desk enrols, records payments and requests mandates
            Permission.MEMBERSHIPS_WRITE,
        }

    def test_every_role_has_its_permissions(self) -> None:
        for role in Role:
            assert Permission.CUSTOMERS_READ in permissions_of(role)


class TestRequire:
    @pytest.mark.parametrize("role", list(Role))
    @pytest.mark.parametrize("permission", list(Permission))
    def test_require_passes_exactly_when_the_role_grants(self, role: Role, permission: Permission) -> None:
        principal = key(role)
        if permission in permissions_of(role):
            require(principal, permission)
            assert principal.can(permission)
        else:
            with pytest.raises(Forbidden) as caught:
                require(principal, permission)
            assert not principal.can(permission)
            assert caught.value.status == 403
            assert caught.value.details[0].code == "FORBIDDEN"
            assert role.value in str(caught.value) and permission.value in str(caught.value)


class TestVisibleSites:
    def test_a_key_for_every_site_sees_every_site_or_the_one_asked_for(self) -> None:
        assert visible_sites(key(), None) is None
        assert visible_sites(key(), "site_z") == ["site_z"]

    def test_a_site_limited_key_sees_its_sites(self) -> None:
        assert visible_sites(key(Role.STAFF, ["site_a", "site_b"]), None) == ["site_a", "site_b"]

    def test_a_site_limited_key_may_narrow_to_one_of_its_sites(self) -> None:
        assert visible_sites(key(Role.STAFF, ["site_a", "site_b"]), "site_b") == ["site_b"]

    @pytest.mark.parametrize("sites", [["site_a"], []])
    def test_a_site_limited_key_cannot_widen(self, sites: list[str]) -> None:
        with pytest.raises(NotFound) as caught:  # 404: another site is not even said to exist
            visible_sites(key(Role.MANAGER, sites), "site_other")
        assert caught.value.details[0].field == "site_id"

    def test_a_key_limited_to_no_site_sees_none_not_all(self) -> None:
        assert visible_sites(key(Role.STAFF, []), None) == []


class TestPrincipal:
    def test_defaults(self) -> None:
        principal = key()
        assert (principal.site_ids, principal.terms_accepted, principal.country, principal.locale) == (
            None,
            False,
            "NL",
            "en",
        )

    def test_roles_are_read_from_their_names(self) -> None:
        assert Principal(merchant_id="m", key_id="k", role="manager").role is Role.MANAGER  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "fields",
        [
            {"role": "admin"},
            {"role": "owner", "superuser": True},
            {"role": "owner", "site_ids": "site_a"},
        ],
    )
    def test_unknown_roles_and_fields_are_refused(self, fields: dict) -> None:
        with pytest.raises(ValidationError):
            Principal(merchant_id="m", key_id="k", **fields)
