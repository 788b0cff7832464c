from tests.jurisdiction import unscoped_route

_PUBLIC = "divisions are public reference data: every user may read every division"
unscoped_route("api:division_detail", _PUBLIC)
unscoped_route("api:division_children", _PUBLIC)
unscoped_route("geo:division", _PUBLIC)
