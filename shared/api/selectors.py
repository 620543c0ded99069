"""The label-selector string grammar of `-l` and `?labelSelector=`, parsed into a LabelSelector."""

import re

from shared.api.meta import LabelSelector, LabelSelectorRequirement

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


class SelectorSyntaxError(ValueError):
    """A selector string that does not parse; the message names the offending term."""


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside a parenthesised value set."""
    terms: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [term for term in terms if term.strip()]


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `k=v,k!=v,k in (a,b),k notin (a),k,!k`; an empty string selects everything."""
    selector = LabelSelector()
    if not text:
        return selector
    for term in _split_terms(text):
        if match := _SET_RE.match(term):
            negated, key, operator, raw_values = match.groups()
            if negated:
                raise SelectorSyntaxError(f"unable to parse requirement: {term.strip()!r}")
            values = [value.strip() for value in raw_values.split(",") if value.strip()]
            selector.match_expressions.append(
                LabelSelectorRequirement(
                    key=key, operator="In" if operator == "in" else "NotIn", values=values
                )
            )
        elif match := _EQ_RE.match(term):
            key, operator, value = match.groups()
            selector.match_expressions.append(
                LabelSelectorRequirement(
                    key=key, operator="NotIn" if operator == "!=" else "In", values=[value]
                )
            )
        elif match := _EXISTS_RE.match(term):
            negated, key = match.groups()
            selector.match_expressions.append(
                LabelSelectorRequirement(key=key, operator="DoesNotExist" if negated else "Exists")
            )
        else:
            raise SelectorSyntaxError(f"unable to parse requirement: {term.strip()!r}")
    return selector
