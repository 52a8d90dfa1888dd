"""The taxonomy round-trips and maps to PTC's names."""

import pytest

from stance import labels


def test_sizes():
    assert len(labels.STANCES) == 9 and len(labels.TECHNIQUES) == 14
    assert len(set(labels.STANCES)) == 9 and len(set(labels.TECHNIQUES)) == 14


def test_id_maps_round_trip():
    for i, s in labels.STANCE_ID2LABEL.items():
        assert labels.STANCE_LABEL2ID[s] == i
    for i, t in labels.TECHNIQUE_ID2LABEL.items():
        assert labels.TECHNIQUE_LABEL2ID[t] == i


def test_ptc_mapping_round_trips():
    for t in labels.TECHNIQUES:
        assert labels.technique_from_ptc(labels.technique_to_ptc(t)) == t
    assert labels.technique_from_ptc("Name_Calling,Labeling") == "name_calling"
    assert set(labels.STANCE_DEFINITIONS) == set(labels.STANCES)


def test_unknown_names_are_errors():
    with pytest.raises(ValueError, match="unknown PTC technique 'Lies'"):
        labels.technique_from_ptc("Lies")
    with pytest.raises(ValueError, match="unknown technique 'lies'"):
        labels.technique_to_ptc("lies")
