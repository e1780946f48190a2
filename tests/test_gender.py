"""Gender balance rules: shares, parity band boundaries, suppression of small cells."""
import pytest

from app.services.gender import (
    ABOVE, BELOW, WITHIN, Policy, balance, parity_status, safe_mean, safe_rate, suppress_row, women_share,
)

POLICY = Policy(parity_low=40, parity_high=60, min_group=5)


def test_share_counts_only_people_who_declared():
    assert women_share({"woman": 6, "man": 4, "undisclosed": 10}) == 60.0
    assert women_share({"woman": 1, "man": 1, "nonbinary": 2}) == 25.0
    assert women_share({"undisclosed": 7}) is None


@pytest.mark.parametrize("share,expected", [
    (40.0, WITHIN), (60.0, WITHIN), (50.0, WITHIN), (39.99, BELOW), (60.01, ABOVE), (0.0, BELOW), (100.0, ABOVE), (None, None),
])
def test_parity_band_includes_both_ends(share, expected):
    assert parity_status(share, POLICY) == expected


def test_parity_band_is_configurable():
    assert parity_status(45.0, Policy(parity_low=45, parity_high=55)) == WITHIN
    assert parity_status(44.9, Policy(parity_low=45, parity_high=55)) == BELOW


def test_four_people_in_a_cell_are_suppressed_five_are_not():
    cells = suppress_row({"woman": 5, "man": 4, "nonbinary": 0, "undisclosed": 0}, POLICY)
    assert cells["man"].suppressed and cells["man"].value is None
    assert cells["nonbinary"].value == 0 and not cells["nonbinary"].suppressed
    # man alone hidden would be total - woman: so the smallest other non-zero cell goes too
    assert cells["woman"].suppressed and cells["woman"].complementary
    assert not cells["man"].complementary, "the small cell itself is the primary one"


def test_secondary_suppression_picks_the_smallest_other_cell():
    cells = suppress_row({"woman": 20, "man": 12, "nonbinary": 2, "undisclosed": 6}, POLICY)
    assert cells["nonbinary"].suppressed and cells["undisclosed"].suppressed
    assert cells["woman"].value == 20 and cells["man"].value == 12


def test_no_suppression_when_every_cell_is_large_or_zero():
    cells = suppress_row({"woman": 9, "man": 7, "nonbinary": 0, "undisclosed": 5}, POLICY)
    assert [c.value for c in cells.values()] == [9, 7, 0, 5]


def test_balance_of_a_large_group():
    result = balance({"woman": 12, "man": 8, "nonbinary": 0, "undisclosed": 5}, POLICY)
    assert result.total.value == 25 and result.declared == 20
    assert result.women_share == 60.0 and result.parity == WITHIN and not result.flagged


def test_balance_flags_a_group_outside_the_band():
    result = balance({"woman": 30, "man": 10}, POLICY)
    assert result.women_share == 75.0 and result.parity == ABOVE and result.flagged


def test_share_and_flag_hidden_when_too_few_declared():
    result = balance({"woman": 3, "man": 1, "undisclosed": 9}, POLICY)
    assert result.women_share is None and result.parity is None and result.share_suppressed


def test_exact_share_hidden_when_a_cell_is_hidden_but_the_flag_stays():
    # with the total, 6/9 = 66.7 % would give women = 6 and men = 3
    result = balance({"woman": 6, "man": 3, "nonbinary": 0, "undisclosed": 0}, POLICY)
    assert result.cells["man"].suppressed and result.cells["woman"].suppressed
    assert result.women_share is None and result.share_suppressed
    assert result.parity == ABOVE and result.flagged


def test_small_nonbinary_group_hides_the_exact_share_of_a_large_municipality():
    result = balance({"woman": 16, "man": 12, "nonbinary": 2, "undisclosed": 1}, POLICY)
    assert result.cells["nonbinary"].suppressed and result.cells["undisclosed"].suppressed
    assert result.cells["man"].value == 12 and result.cells["woman"].value == 16
    assert result.women_share is None and result.parity == WITHIN


def test_derived_figures_are_hidden_with_their_counts():
    assert safe_rate(3, 10, POLICY) is None
    assert safe_rate(0, 10, POLICY) == 0.0
    assert safe_rate(5, 10, POLICY) == 50.0
    assert safe_rate(5, 0, POLICY) is None
    assert safe_mean(80.0, 4, POLICY) is None
    assert safe_mean(80.0, 5, POLICY) == 80.0


def test_policy_reads_configuration():
    policy = Policy.from_config({"PARITY_BAND_LOW": "35", "PARITY_BAND_HIGH": "65", "MIN_GROUP_SIZE": "10"})
    assert policy == Policy(35.0, 65.0, 10)
