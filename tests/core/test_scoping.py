import pytest
from django.http import Http404

from shouwang.accounts.roles import Role
from shouwang.core.audit import audit_log
from shouwang.core.models import AuditEvent
from shouwang.core.scoping import get_scoped_or_404, prefix_upper_bound, scoped


@pytest.mark.parametrize(
    ("prefix", "upper"),
    [("42", "43"), ("4201", "4202"), ("420119", "420120"), ("09", "10"), ("", None), ("99", None)],
)
def test_prefix_upper_bound(prefix, upper):
    assert prefix_upper_bound(prefix) == upper


def test_prefix_upper_bound_rejects_non_digits():
    with pytest.raises(ValueError, match="digits"):
        prefix_upper_bound("42a")


@pytest.mark.django_db
def test_scoped_by_prefix(make_user):
    for code in ["420111", "420111001", "420106", "430102", "4201", "42011"]:
        audit_log(actor=None, action="create", object_type="t", object_id=code, division_code=code)
    county = make_user(Role.COUNTY_OFFICER, "420111")
    city = make_user(Role.CITY_OFFICER, "420100")
    province = make_user(Role.PROVINCIAL_OFFICER, "420000")
    nation = make_user(Role.NATIONAL_OFFICER, "000000")
    base = AuditEvent.objects.filter(object_type="t")

    def ids(user):
        return sorted(scoped(base, user).values_list("object_id", flat=True))

    assert ids(county) == ["420111", "420111001"]
    assert ids(city) == sorted(["420106", "420111", "420111001", "4201", "42011"])
    assert ids(province) == ids(city)
    assert ids(nation) == sorted(["420111", "420111001", "420106", "430102", "4201", "42011"])


@pytest.mark.django_db
def test_scoped_hides_everything_from_anonymous_and_inactive(make_user):
    from django.contrib.auth.models import AnonymousUser

    audit_log(actor=None, action="create", object_type="t", object_id="1", division_code="420111")
    user = make_user(Role.COUNTY_OFFICER, "420111")
    user.is_active = False
    base = AuditEvent.objects.filter(object_type="t")
    assert not scoped(base, user).exists()
    assert not scoped(base, AnonymousUser()).exists()
    assert not scoped(base, None).exists()


@pytest.mark.django_db
def test_get_scoped_or_404_hides_sibling_records(make_user):
    event = audit_log(actor=None, action="create", object_type="t", object_id="1",
                      division_code="420106")
    sibling = make_user(Role.COUNTY_OFFICER, "420111")
    parent = make_user(Role.CITY_OFFICER, "420100")
    with pytest.raises(Http404):
        get_scoped_or_404(AuditEvent.objects.all(), sibling, pk=event.pk)
    assert get_scoped_or_404(AuditEvent.objects.all(), parent, pk=event.pk) == event
