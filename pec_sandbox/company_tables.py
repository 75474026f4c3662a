"""What the sandbox knows of the Company API (company.openapi.json): its host and scopes, the
datasets a monitor may watch, the paid lookups and their prices, the role codes and legal forms
it invents companies with.

Declared from the spec rather than taken from openapi_company, like tables.py for the PEC API;
tests/pec_sandbox/test_company_tables.py checks them against the spec.  The spec gives no
prices and no meaning of its role and legal-form codes: those are marked [I].
"""

from __future__ import annotations

from decimal import Decimal

SANDBOX_COMPANY_HOST = "test.company.openapi.com"

#: Token scopes of the endpoints served, as (method, first path segment).
COMPANY_SCOPES = (
    ("GET", "IT-pec"),
    ("GET", "IT-stakeholders"),
    ("GET", "IT-check_id"),
    ("GET", "IT-closed"),
    ("GET", "IT-advanced"),
    ("GET", "monitor"),
    ("POST", "monitor"),
    ("DELETE", "monitor"),
)

#: MonitorPayload.dataset.
DATASETS = (
    "IT-aml",
    "IT-marketing",
    "IT-stakeholders",
    "IT-full",
    "IT-start",
    "IT-advanced",
    "IT-shareholders",
    "IT-address",
    "IT-pec",
    "IT-closed",
    "IT-vatgroup",
    "IT-sdicode",
    "IT-name",
    "IT-ubo",
    "FR-start",
    "FR-advanced",
)
#: The datasets the sandbox can build, hence watch; a monitor on another one is refused as the
#: spec refuses an unknown dataset (404/1207) [I].
MONITORED_DATASETS = ("IT-pec", "IT-closed", "IT-stakeholders", "IT-start", "IT-advanced")

#: Paid calls (they document a 402) and their price in EUR per call.  [I] ASSUMED: no price
#: for the Company API is published in the sources of openapi-notes.md; placeholders.
LOOKUP_PRICES = {
    "IT-pec": Decimal("0.10"),
    "IT-stakeholders": Decimal("0.50"),
    "IT-closed": Decimal("0.05"),
    "IT-advanced": Decimal("0.30"),
}
MONITOR_PRICE = Decimal("1.00")  # POST /monitor, one year of watching [I]
#: The 402 error number each paid call documents.
CREDIT_ERRORS = {
    "IT-pec": 610,
    "IT-closed": 610,
    "IT-advanced": 610,
    "IT-stakeholders": 611,
    "monitor": 610,
}

#: managers[].roles[].role: the codes the sandbox gives, with descriptions.  AUN's is the spec
#: example's; the others [I].
ROLES = {
    "AUN": "Managing director",
    "AMD": "Chief executive officer",
    "PCA": "Chairman of the board of directors",
    "CON": "Director",
    "SOA": "Managing partner",
    "SAP": "General partner",
    "TI": "Owner",
}
#: detailedLegalForm codes the sandbox invents companies with: (code, description, name
#: suffix, board): ``board`` says how the company is run: "company" (sole director or board),
#: "partners", "owner".  [I] codes of the Chambers' classification.
LEGAL_FORMS = (
    ("SR", "SOCIETA' A RESPONSABILITA' LIMITATA", "S.R.L.", "company"),
    ("SU", "SOCIETA' A RESPONSABILITA' LIMITATA CON UNICO SOCIO", "S.R.L.", "company"),
    ("RS", "SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA", "S.R.L.S.", "company"),
    ("SP", "SOCIETA' PER AZIONI", "S.P.A.", "company"),
    ("SC", "SOCIETA' COOPERATIVA", "SOC. COOP.", "company"),
    ("SN", "SOCIETA' IN NOME COLLETTIVO", "S.N.C.", "partners"),
    ("AS", "SOCIETA' IN ACCOMANDITA SEMPLICE", "S.A.S.", "partners"),
    ("DI", "IMPRESA INDIVIDUALE", "", "owner"),
)
#: Start/Advanced.activityStatus values used: active, ceased.
ACTIVE, CEASED = "ATTIVA", "CESSATA"
