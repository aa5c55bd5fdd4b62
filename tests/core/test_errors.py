"""Error messages suggest the nearest existing names."""

from core.errors import invalid_choice, nearest_names, not_found


def test_nearest_names_finds_typos_and_substrings() -> None:
    pool = ["Newsletter", "VIP Customers", "Trial users"]
    assert nearest_names("newsleter", pool)[0] == "Newsletter"
    assert "VIP Customers" in nearest_names("vip", pool)


def test_not_found_message_lists_suggestions_or_existing() -> None:
    assert "Did you mean 'Newsletter'?" in str(not_found("list", "Newsleter", ["Newsletter", "Trial"]))
    msg = str(not_found("list", "zzz", ["Newsletter", "Trial"]))
    assert "Existing lists: 'Newsletter', 'Trial'" in msg
    assert "has no tags yet" in str(not_found("tag", "VIP", []))


def test_invalid_choice_names_field_value_and_allowed() -> None:
    err = invalid_choice("layout", "Fancy", ["Simple", "Editorial"])
    assert err.field == "layout"
    assert str(err) == "layout 'Fancy' is not allowed; choose one of: 'Simple', 'Editorial'."
