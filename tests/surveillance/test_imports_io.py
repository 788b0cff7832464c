

def test_the_english_help_of_every_column_is_english() -> None:
    import re

    from shouwang.surveillance.services.import_io import IMPORT_COLUMNS

    for column in IMPORT_COLUMNS:
        assert not re.search(r"[\u4e00-\u9fff]", column.help_en), column.field
