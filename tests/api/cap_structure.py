"""The structure of a CAP 1.2 alert (OASIS, Common Alerting Protocol 1.2, section 3.2), as
tests check it: the elements an alert and its info blocks may hold, in the order the schema
fixes, which of them are required, and the values the enumerated ones may take."""

from __future__ import annotations

import xml.etree.ElementTree as ET

NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
ALERT = [
    "identifier",
    "sender",
    "sent",
    "status",
    "msgType",
    "source",
    "scope",
    "restriction",
    "addresses",
    "code",
    "note",
    "references",
    "incidents",
    "info",
]
ALERT_REQUIRED = {"identifier", "sender", "sent", "status", "msgType", "scope"}
INFO = [
    "language",
    "category",
    "event",
    "responseType",
    "urgency",
    "severity",
    "certainty",
    "audience",
    "eventCode",
    "effective",
    "onset",
    "expires",
    "senderName",
    "headline",
    "description",
    "instruction",
    "web",
    "contact",
    "parameter",
    "resource",
    "area",
]
INFO_REQUIRED = {"category", "event", "urgency", "severity", "certainty"}
VALUES = {
    "status": {"Actual", "Exercise", "System", "Test", "Draft"},
    "msgType": {"Alert", "Update", "Cancel", "Ack", "Error"},
    "scope": {"Public", "Restricted", "Private"},
    "category": set(
        [
            "Geo",
            "Met",
            "Safety",
            "Security",
            "Rescue",
            "Fire",
            "Health",
            "Env",
            "Transport",
            "Infra",
            "CBRNE",
            "Other",
        ]
    ),
    "urgency": {"Immediate", "Expected", "Future", "Past", "Unknown"},
    "severity": {"Extreme", "Severe", "Moderate", "Minor", "Unknown"},
    "certainty": {"Observed", "Likely", "Possible", "Unlikely", "Unknown"},
}


def _check(el: ET.Element, order: list[str], required: set[str], what: str) -> list[str]:
    names = [c.tag.removeprefix(NS) for c in el]
    problems = [f"{what}: {n} is not a CAP element" for n in names if n not in order]
    ranks = [order.index(n) for n in names if n in order]
    if ranks != sorted(ranks):
        problems.append(f"{what}: elements out of order: {names}")
    problems += [f"{what}: {n} is required" for n in sorted(required - set(names))]
    for child in el:
        name = child.tag.removeprefix(NS)
        if name in VALUES and child.text not in VALUES[name]:
            problems.append(f"{what}: {name} {child.text!r} is not a CAP value")
    return problems


def problems(alert: ET.Element) -> list[str]:
    """What in ``alert`` breaks the CAP 1.2 structure (empty when it is a valid alert)."""
    if alert.tag != f"{NS}alert":
        return [f"the root is {alert.tag}, not a CAP 1.2 alert"]
    out = _check(alert, ALERT, ALERT_REQUIRED, "alert")
    if alert.findtext(f"{NS}scope") == "Restricted" and alert.find(f"{NS}restriction") is None:
        out.append("alert: a Restricted alert needs a restriction")
    if alert.findtext(f"{NS}msgType") in ("Update", "Cancel") and not alert.findtext(
        f"{NS}references"
    ):
        out.append("alert: an Update names the alert it updates in references")
    sent = alert.findtext(f"{NS}sent") or ""
    if len(sent) != 25 or sent[-6] not in "+-" or "Z" in sent:
        out.append(f"alert: sent {sent!r} is not a CAP dateTime")
    for info in alert.iter(f"{NS}info"):
        out += _check(info, INFO, INFO_REQUIRED, "info")
    return out
