import pytest

from tests.tracing.cases import make_case


@pytest.mark.django_db
def test_make_case_gives_distinct_reports(divisions):
    first = make_case("420106", name="张伟")
    second = make_case("420106", name="张伟")
    assert first.pk != second.pk
    assert first.onset_date is not None
