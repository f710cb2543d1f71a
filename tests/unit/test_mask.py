"""Presentation-safe mode: stable pseudonyms, nothing real left in masked frames."""

import pandas as pd

from metrics import mask


def test_the_same_name_always_gets_the_same_pseudonym_and_others_differ():
    a = mask.pseudonym("Northwind Traders")
    assert a == mask.pseudonym("Northwind Traders")
    assert a.startswith("Account ") and len(a) == len("Account ") + 6
    assert a != mask.pseudonym("Contoso Ltd")
    assert mask.person("ann@x.example").startswith("Person ")
    assert mask.pseudonym(None) is None


def test_a_masked_frame_hides_names_people_and_emails_and_keeps_the_rest():
    df = pd.DataFrame({"account_id": ["A1"], "account_name": ["Northwind Traders"],
                       "csm_owner": ["Ann Lee"], "respondent": ["bob@northwind.example"],
                       "comment": ["Northwind Traders is slow, mail bob@northwind.example"],
                       "mrr": [100.0]})
    out = mask.mask_frame(df, names={"Northwind Traders": "A1"})
    text = out.to_csv()
    for real in ("Northwind", "Ann Lee", "bob@"):
        assert real not in text
    assert out.account_id.tolist() == ["A1"] and out.mrr.tolist() == [100.0]
    assert out.account_name.iloc[0] == mask.pseudonym("Northwind Traders")
    assert mask.pseudonym("Northwind Traders") in out.comment.iloc[0]
    assert df.account_name.iloc[0] == "Northwind Traders"  # the input is not changed


def test_maybe_leaves_the_frame_alone_when_off():
    df = pd.DataFrame({"name": ["X Corp"]})
    assert mask.maybe(df, False) is df
    assert mask.maybe(df, True).name.iloc[0] != "X Corp"


def test_a_frames_own_account_names_are_hidden_inside_its_comments():
    df = pd.DataFrame({"account_name": ["Contoso Ltd"], "comment": ["Contoso Ltd loves it"]})
    out = mask.mask_frame(df)
    assert "Contoso" not in out.to_csv()
    assert out.comment.iloc[0] == f"{mask.pseudonym('Contoso Ltd')} loves it"


def test_a_custom_attributes_value_gets_a_pseudonym_its_name_stays_readable():
    a = mask.attribute("Contract Type", "Annual")
    assert a == mask.attribute("Contract Type", "Annual") and a.startswith("Value ")
    assert "Annual" not in a
    assert a != mask.attribute("Contract Type", "Monthly")
    assert a != mask.attribute("Renewal", "Annual")  # the same value of another attribute
    assert mask.attribute("x", None) is None
    item = mask.attribute_item("Contract Type: Annual")
    assert item == f"Contract Type: {a}" and "Annual" not in item
