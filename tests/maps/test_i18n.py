"""The sentences of the carry rules (``geo_ntm.carry``) in both languages, with the rule's
sliver tolerance and level written in."""

from __future__ import annotations

from geo_ntm.carry import RULES, CarryRule, parse_rule
from maps.i18n import rule_label


def test_rules_are_labelled():
    assert rule_label(CarryRule("all"), "vi") == (
        "Quy tắc 'all': đơn vị mới đạt một mức NTM chỉ khi mọi đơn vị cũ chiếm trên 1% "
        "diện tích của nó đều đạt mức đó (có phần là phường, thị trấn cũ thì không đạt)"
    )
    assert "0,5%" in rule_label(CarryRule("all", sliver_tolerance=0.005), "vi")
    assert "0.5%" in rule_label(CarryRule("all", sliver_tolerance=0.005), "en")
    assert "“NTM nâng cao”" in rule_label(parse_rule("share_population", "ntm_nang_cao"), "vi")
    assert all(rule_label(CarryRule(name), "en").startswith(f"Rule '{name}'") for name in RULES)
