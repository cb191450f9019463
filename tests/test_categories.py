from warta.core.categories import localise_category


def test_known_feed_sections_are_named_in_the_site_language() -> None:
    assert localise_category("Business", "id") == "Bisnis"
    assert localise_category("  world  news ", "id") == "Dunia"
    assert localise_category("Science", "id-ID") == "Sains"


def test_unknown_names_and_languages_pass_through_trimmed() -> None:
    assert localise_category(" Cricket ", "id") == "Cricket"
    assert localise_category("Business", "ms") == "Business"
