"""The former gender API (kept for callers) follows the disclosure rules: recoding, shares, parity, suppression."""

import pytest

from app.services.gender import (
    ABOVE,
    BELOW,
    OTHER,
    WITHIN,
    Policy,
    balance,
    parity_status,
    safe_mean,
    safe_rate,
    suppress_row,
    women_share,
)

POLICY = Policy(parity_low=40, parity_high=60, min_group=5)


def test_share_is_among_women_and_men_only():
    assert women_share({"woman": 6, "man": 4, "undisclosed": 10}) == 60.0
    assert women_share({"woman": 1, "man": 1, "nonbinary": 2}) == 50.0
    assert women_share({"undisclosed": 7, "nonbinary": 3}) is None


@pytest.mark.parametrize(
    "share,expected",
    [
        (40.0, WITHIN),
        (60.0, WITHIN),
        (50.0, WITHIN),
        (39.99, BELOW),
        (60.01, ABOVE),
        (0.0, BELOW),
        (100.0, ABOVE),
        (None, None),
    ],
)
def test_parity_band_includes_both_ends(share, expected):
    assert parity_status(share, POLICY) == expected


def test_parity_band_is_configurable():
    assert parity_status(45.0, Policy(parity_low=45, parity_high=55)) == WITHIN
    assert parity_status(44.9, Policy(parity_low=45, parity_high=55)) == BELOW


def test_nonbinary_and_undeclared_are_published_as_one_category():
    cells = suppress_row({"woman": 9, "man": 7, "nonbinary": 3, "undisclosed": 3}, POLICY)
    assert set(cells) == {"woman", "man", OTHER}
    assert cells[OTHER].value == 6, "3 + 3: neither small group is shown on its own"


def test_a_small_cell_takes_a_second_one_with_it_when_the_total_is_known():
    cells = suppress_row({"woman": 5, "man": 4}, POLICY)
    assert cells["man"].suppressed and not cells["man"].complementary
    hidden = [k for k, c in cells.items() if c.suppressed]
    assert len(hidden) == 2, "men alone hidden would be total - women"


def test_no_suppression_when_every_cell_is_large_or_zero():
    cells = suppress_row({"woman": 9, "man": 7, "undisclosed": 5}, POLICY)
    assert [c.value for c in cells.values()] == [9, 7, 5]


def test_balance_of_a_large_group():
    result = balance({"woman": 12, "man": 8, "nonbinary": 0, "undisclosed": 5}, POLICY)
    assert result.total.value == 25 and result.declared == 20
    assert result.women_share == 60.0 and result.parity == WITHIN and not result.flagged


def test_balance_flags_a_group_outside_the_band():
    result = balance({"woman": 30, "man": 10}, POLICY)
    assert result.women_share == 75.0 and result.parity == ABOVE and result.flagged


def test_share_and_flag_need_five_women_and_men():
    result = balance({"woman": 3, "man": 1, "undisclosed": 9}, POLICY)
    assert result.women_share is None and result.parity is None


def test_a_large_municipality_with_one_nonbinary_person_keeps_a_rounded_share_and_its_flag():
    result = balance({"woman": 18, "man": 8, "nonbinary": 1, "undisclosed": 1}, POLICY)
    assert result.cells[OTHER].suppressed and result.cells["man"].suppressed
    assert result.cells["woman"].value == 18 and result.total.value == 28
    assert result.share_rounded and result.women_share == 70.0 and result.parity == ABOVE


def test_derived_figures_are_hidden_with_their_counts():
    assert safe_rate(3, 10, POLICY) is None
    assert safe_rate(0, 10, POLICY) == 0.0
    assert safe_rate(5, 10, POLICY) == 50.0
    assert safe_rate(5, 4, POLICY) is None, "a rate over fewer than five people"
    assert safe_rate(5, 0, POLICY) is None
    assert safe_mean(80.0, 4, POLICY) is None
    assert safe_mean(80.0, 5, POLICY) == 80.0


def test_policy_reads_configuration():
    policy = Policy.from_config({"PARITY_BAND_LOW": "35", "PARITY_BAND_HIGH": "65", "MIN_GROUP_SIZE": "10"})
    assert policy == Policy(35.0, 65.0, 10)
