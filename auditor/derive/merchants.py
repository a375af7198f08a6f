"""The ``payments`` table: every transaction with a normalised merchant and its category.

Statement text carries the merchant wrapped in processor prefixes, store numbers, places,
dates and reference numbers ("SQ *THE ASHLAND TAP Chicago IL 02/23", "TACO BELL #031233
CHICAGO IL 01/02", "UBER USA 6787 EDI PAYMNT PPD ID: 3621832896"). :func:`normalise`
strips them so that one merchant is one name, and :func:`build_payments` adds the
category from ``rules/lists/merchants.yaml`` (and the shared credit and gambling lists),
whether the line is a person-to-person transfer, the kind of money received, and the
recurring series it belongs to (:mod:`auditor.derive.recurring`).

Every cleaning step runs on the distinct descriptions only (a statement repeats the same
few hundred texts), with pandas' vectorised string methods.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from auditor import model
from auditor.derive import common, recurring

# Card processors and payment facilitators whose name comes before the merchant's:
# "SQ *THE ASHLAND TAP", "TST* JOE'S", "PAYPAL *STEAM", "SP * SHOPIFY STORE".
_PROCESSOR_PREFIX = (r"^(?:SQ|SQU|SQUARE|TST|PAYPAL|PP|SP|IZ|IZETTLE|ZETTLE|SUMUP|GOOGLE|GGL|APL|APPLE PAY|CKO|PADDLE|"
                     r"FS|DNH|BT|WPY|EB|SMP)\s*\*\s*")
# Channel words a bank writes before the merchant.
_CHANNEL_PREFIX = (r"^(?:CARD PAYMENT TO|CARD PAYMENT|CARD PURCHASE|POS DEBIT|POS PURCHASE|POS MERCHANDISE;?|"
                   r"MISCELLANEOUS PAYMENTS;?|DEBIT CARD PURCHASE|DEBIT PURCHASE|PURCHASE AUTHORIZED ON \d\d/\d\d|"
                   r"RECURRING PAYMENT AUTHORIZED ON \d\d/\d\d|RECURRING PAYMENT|CHECKCARD \d{4}|CHECK CARD|VISA DDA PUR|"
                   r"DBT CRD \d+|EFTPOS WDL|EFTPOS|KARTENZAHLUNG|LASTSCHRIFT|INTERNET-ÜBERWEISUNG|ÜBERWEISUNG|"
                   r"POS\d\d[A-Z]{3}|ATM\d\d[A-Z]{3}|P[OØ]S\s+[\d.,]+\s+[A-Z]{2}\s+K\d\s+\d\d\.\d\d\.\s+\d\d:\d\d|POS)\s*")
# ACH and direct-debit tails: "PPD ID: 3621832896", "WEB ID: ...", "DES:PAYROLL ID:...", "EDI PAYMNT".
_ACH_TAIL = r"\s+(?:DES:.*|(?:PPD|WEB|CCD|TEL|ARC|BOC|CTX)(?:\s+ID:?\s*\S+)?|ID:\s*\S+|INDN:.*|CO ID:.*)$"
# Words that name the channel, not the merchant, at the end: "GEICO PAYMENT", "WESTLAKE FINANCIA AUTO PYMT".
_GENERIC_TAIL = (r"\s+(?:PAYMENT|PAYMNT|PMT|PYMT|AUTO PAY|AUTOPAY|AUTO PYMT|WEB PMT|WEBPAY|DIRECT DEBIT|DD|SO|EDI|"
                 r"TRANSFER|LOAN|UTIL_BIL|UTIL BIL|BILL PAYMT|ONLINE PMT|MOBILE PMT|DANKT|SAGT DANKE\.?)$")
_P2P = r"^(?:ZELLE|ZELLE PAYMENT|ZELLE TRANSFER)\s+(?:PAYMENT\s+)?(?:TO|FROM)\s+"


def normalise(description: pd.Series, counterparty: pd.Series | None = None) -> pd.Series:
    """Normalised merchant names: the counterparty where the bank gives one, else the
    description without prefixes, store numbers, locations, dates and references."""
    desc = description.astype("string")
    codes, uniques = pd.factorize(desc.fillna(""), sort=False)
    cleaned = _clean(pd.Series(uniques, dtype="string"))
    out = cleaned.iloc[codes].reset_index(drop=True) if len(codes) else pd.Series([], dtype="string")
    if counterparty is not None:
        given = counterparty.astype("string").str.strip().reset_index(drop=True)
        generic = given.str.upper().isin(_GENERIC_COUNTERPARTY) | (given.str.len() < 2)
        use = given.notna() & ~generic.fillna(True)
        out = out.where(~use, given)
    out = out.where(out.str.len() > 0)
    return out.astype(model.STRING)


# Counterparty columns that name the channel rather than the other side.
_GENERIC_COUNTERPARTY = pd.Index(["ATM WITHDRAWAL", "ATM FEE", "ONLINE TRANSFER", "TRANSFER", "POS", "CHECK", "DEPOSIT",
                                  "PAYMENT", "DIRECT DEBIT", "INTEREST EARNED", "AUTOMATIC WITHDRAWAL, ELECTRIC BILL"])


def _clean(text: pd.Series) -> pd.Series:
    s = text.str.replace(r"\s+", " ", regex=True).str.strip()
    upper = s.str.upper()
    # fee lines name the fee first and the purchase it was for after "DETAILS:"
    fee = upper.str.extract(r"^((?:NON-NETWORK )?(?:OVERDRAFT|INSUFFICIENT FUNDS|NSF|RETURNED ITEM|RETURNED CHECK|LATE|ATM)"
                            r" (?:SETTLEMENT )?FEE)\b", expand=False)
    p2p_name = s.str.extract(_P2P + r"(.+?)(?:\s+(?:JPM|WFCT|BAC|CTI)\w*|\s+\d{5,}.*|\s+ON \d\d/\d\d.*)?$",
                             flags=_I, expand=False)
    s = s.str.replace(_PROCESSOR_PREFIX, "", regex=True, flags=_I)
    s = s.str.replace(_CHANNEL_PREFIX, "", regex=True, flags=_I)
    s = s.str.replace(r"^(?:REFUND:?|RETURN:?)\s+", "", regex=True, flags=_I)
    s = s.str.replace(_ACH_TAIL, "", regex=True, flags=_I)
    # a reference after "*" (AMAZON.CO.UK*RT4KJ2), else "*" separates words (UBER *TRIP)
    s = s.str.replace(r"\*(?=[A-Z0-9]*\d)[A-Z0-9]{4,}\b", " ", regex=True, flags=_I)
    s = s.str.replace(r"\s*\*\s*", " ", regex=True)
    s = s.str.replace(r"\s+\d\d/\d\d(?:/\d{2,4})?$", "", regex=True)  # Chase's trailing mm/dd
    s = s.str.replace(r"\s+(?:MON|TUE|WED|THU|FRI|SAT|SUN)\s+\d{1,2}\s?(?:AM|PM)$", "", regex=True, flags=_I)  # LYFT *RIDE FRI 11PM
    s = s.str.replace(r"\s+X{2,}\d+\b", "", regex=True, flags=_I)  # masked account numbers
    s = s.str.replace(r"\s+(?:\+?\d[\d-]{6,}\d|\d{3}-\d{3}-\d{4})\b.*$", "", regex=True)  # phone or long reference
    # fixed-width card lines (Monzo, UK banks): "GREGGS PLC<spaces>LONDON<spaces>GBR"
    fixed = text.str.match(r"^.{3,}?\s{2,}.*\s[A-Z]{3}$", na=False)
    first_field = text.str.replace(r"\s{2,}.*$", "", regex=True).str.strip()
    s = s.where(~fixed, first_field.str.replace(r"\*(?=[A-Z0-9]*\d)[A-Z0-9]{4,}\b", "", regex=True, flags=_I)
                .str.replace(r"\s*\*\s*", " ", regex=True))
    # a store number and whatever follows it is the branch: "TACO BELL #031233 CHICAGO IL", "MCDONALD'S F5512 ..."
    s = s.str.replace(r"\s+(?:#\s?\d+|[A-Z]?#?\d{3,}|NO\.?\s?\d+)\b.*$", "", regex=True, flags=_I)
    s = s.str.replace(r"\s+\d[\d.,]*\s*(?:USD|EUR|GBP).*$", "", regex=True)  # foreign amount notes
    s = s.str.replace(r"\s+(?:[A-Z][A-Za-z.]*\s)?(?:" + _US_STATES + r")$", "", regex=True)  # "CHICAGO IL"
    s = s.str.replace(r"(?<=\S)\s+(?:HELP\.|WWW\.)?[\w-]+\.(?:COM|NET|ORG|CO\.UK)(?:/\S*)?$", "", regex=True, flags=_I)
    for _ in range(2):
        s = s.str.replace(_GENERIC_TAIL, "", regex=True, flags=_I)
    s = s.str.replace(r"[\s,;:-]+$", "", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    s = s.where(fee.isna(), fee)
    s = s.where(p2p_name.isna(), p2p_name.str.strip())
    return s.where(s.str.len() > 0, text.str.strip())


_I = 2  # re.IGNORECASE, for pandas' flags argument
_US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
              "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY")

# --- categories ----------------------------------------------------------------------------

# Checked in this order (docs/derived-tables.md): fees, then money-in kinds, then names
# distinctive enough to win over a generic word, then the everyday lists in file order.
_FEES = ("overdraft_fee", "returned_payment", "late_fee", "bank_fee")
_INCOME = ("payroll", "benefits", "gig_platform")
_SHARED = (("gambling", "gambling_merchants"), ("payday_lender", "payday_lenders"),
           ("cash_advance", "cash_advance_apps"), ("bnpl", "bnpl_providers"))
_P2P_TERMS = ("zelle", "venmo", "cash app", "square cash", "sqc", "paypal transfer", "paypal inst xfer", "sent from monzo",
              "monzo", "revolut", "apple cash", "google pay send", "popmoney", "chime transfer")


def category_order(direction_in: bool) -> list[tuple[str, tuple[str, ...]]]:
    """(category, terms) in matching order, for money in or money out."""
    lists = common.shared_lists()
    merchant = {name[len("merchant_"):]: terms for name, terms in lists.items() if name.startswith("merchant_")}
    order: list[tuple[str, tuple[str, ...]]] = [(c, merchant.get(c, ())) for c in _FEES]
    if direction_in:
        order += [(c, merchant.get(c, ())) for c in _INCOME]
    order += [(category, lists.get(list_name, ())) for category, list_name in _SHARED]
    skip = set(_FEES) | set(_INCOME) | ({"rent_deposit"} if direction_in else set())
    order += [(c, terms) for c, terms in merchant.items() if c not in skip]
    return order


def _mcc_map() -> dict[str, str]:
    pairs = (str(item).split(maxsplit=1) for item in common.shared_lists().get("mcc_categories", ()))
    return {code: category for code, category in pairs}


def categories(payments: pd.DataFrame) -> pd.Series:
    """Merchant category of each payment (see :func:`category_order`), MCC only where no list matched."""
    text = common.words_series(payments["merchant"].fillna("") + " | " + payments["description"].fillna("") + " | "
                               + payments["counterparty"].fillna(""))
    text = text.reset_index(drop=True)
    is_in = (payments["amount"].to_numpy(dtype="float64", na_value=0.0) > 0)
    found = pd.Series(pd.NA, index=text.index, dtype="string")
    for direction_in in (True, False):
        rows = np.flatnonzero(is_in == direction_in)
        if len(rows):
            found.iloc[rows] = common.categorise(text.iloc[rows], category_order(direction_in)).to_numpy()
    if "mcc" in payments:
        mcc = payments["mcc"].astype("string").str.strip().reset_index(drop=True)
        from_mcc = mcc.map(_mcc_map()).astype("string")
        found = found.fillna(from_mcc)
    return found


def is_p2p(payments: pd.DataFrame) -> np.ndarray:
    """Person-to-person transfers: Zelle, Venmo, Cash App, Monzo-to-Monzo, and Faster Payments to a person."""
    text = common.words_series(payments["description"].fillna("") + " " + payments["counterparty"].fillna(""))
    pattern = common.list_pattern(_P2P_TERMS)
    assert pattern is not None
    named = text.str.contains(pattern.pattern, regex=True, na=False).to_numpy(dtype=bool)
    kind = payments["type"].astype("string").str.lower().fillna("")
    monzo_to_monzo = kind.str.contains("monzo-to-monzo", regex=False).to_numpy(dtype=bool)
    # A Faster Payment with a counterparty that looks like a person's name and no business word
    faster = kind.str.contains("faster payment", regex=False).to_numpy(dtype=bool)
    name = payments["counterparty"].astype("string").fillna("")
    personal = name.str.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z'-]+){1,2}", na=False).to_numpy(dtype=bool)
    return named | monzo_to_monzo | (faster & personal)


def build_payments(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """Every transaction, with ``merchant``, ``merchant_category``, ``direction``, ``p2p``,
    its recurring ``series`` and, for money in, ``income_type``."""
    tx = common.frame_of(frames, "transactions")
    if not len(tx):
        return common.empty("payments")
    out = tx.reset_index(drop=True).copy()
    amount = out["amount"].to_numpy(dtype="float64", na_value=np.nan)
    direction = np.where(amount > 0, "in", np.where(amount < 0, "out", None))
    out["direction"] = pd.Categorical(direction, categories=["in", "out"])
    # everything read from the text is computed once per distinct line (a statement repeats a few
    # hundred texts), then spread back to the rows
    key = out["description"].astype("string").fillna("")
    for column in ("counterparty", "type", "mcc", "direction"):
        key = key + "\x1f" + out[column].astype("string").fillna("")
    codes, _ = pd.factorize(key, sort=False)
    first = np.unique(codes, return_index=True)[1]
    lines = out.iloc[first].reset_index(drop=True)
    lines["merchant"] = normalise(lines["description"], lines["counterparty"])
    lines["p2p"] = is_p2p(lines)
    category = categories(lines)
    # a person's name is no merchant: only the words of the line itself (rent, savings) categorise it
    personal_ok = category.isin(["rent", "savings", "overdraft_fee", "returned_payment", "late_fee"]).to_numpy(dtype=bool)
    lines["merchant_category"] = category.where(~lines["p2p"].to_numpy() | personal_ok)
    words = common.words_series(lines["description"].fillna("") + " " + lines["type"].astype("string").fillna(""))
    transfer_words = words.str.contains(_TRANSFER_WORDS, regex=True, na=False).to_numpy(dtype=bool)
    refund_words = words.str.contains(_REFUND_WORDS, regex=True, na=False).to_numpy(dtype=bool)
    out["merchant"] = lines["merchant"].iloc[codes].reset_index(drop=True)
    out["p2p"] = lines["p2p"].to_numpy(dtype=bool)[codes]
    out["merchant_category"] = lines["merchant_category"].iloc[codes].reset_index(drop=True).astype("category")
    out["evidence_kind"] = pd.Categorical(["transactions"] * len(out))
    recurring.label_rent(out, timezone)
    series = recurring.detect_series(out, timezone)
    out["series"] = series
    out["recurring"] = series >= 0
    out["income_type"] = income_types(out, transfer_words[codes], refund_words[codes])
    return out


_TRANSFER_WORDS = (r"(?<!\w)(?:transfer from|from savings|pot transfer|account transfer|savings|xfer|transfer|naar|"
                   r"from checking|cashout|cash out|payment thank you|payment received|thank you)(?!\w)")
_REFUND_WORDS = r"(?<!\w)(?:refund|return|reversal|erstattung)(?!\w)"


def income_types(payments: pd.DataFrame, transfer_words: np.ndarray, refund_words: np.ndarray) -> pd.Series:
    """payroll, benefits, gig, loan, p2p, transfer, refund or other, for money in; <NA> for money out.

    ``transfer_words`` and ``refund_words`` say which rows' text names a transfer between the
    person's own accounts or a refund.
    """
    category = payments["merchant_category"].astype("string")
    is_in = payments["direction"].astype("string").eq("in").fillna(False).to_numpy(dtype=bool)
    transfer = transfer_words | category.isin(["card_payment", "savings"]).fillna(False).to_numpy(dtype=bool)
    # a merchant the person also pays is refunding them
    merchant = payments["merchant"].astype("string").str.lower()
    out_merchants = merchant[~is_in].dropna().unique()
    refund = merchant.isin(out_merchants).fillna(False).to_numpy(dtype=bool) | refund_words
    regular = payments["recurring"].to_numpy(dtype=bool) & ~payments["p2p"].to_numpy(dtype=bool)
    choices = [
        (category.eq("payroll").fillna(False).to_numpy(dtype=bool), "payroll"),
        (category.eq("benefits").fillna(False).to_numpy(dtype=bool), "benefits"),
        (category.eq("gig_platform").fillna(False).to_numpy(dtype=bool), "gig"),
        (category.isin(["payday_lender", "cash_advance", "bnpl", "loan"]).fillna(False).to_numpy(dtype=bool), "loan"),
        (payments["p2p"].to_numpy(dtype=bool) & ~transfer, "p2p"),
        (transfer, "transfer"),
        (refund, "refund"),
        (regular & category.isna().to_numpy(dtype=bool), "payroll"),
    ]
    result = np.full(len(payments), None, dtype=object)
    pending = np.array(is_in, dtype=bool, copy=True)
    for mask, label in choices:
        hit = pending & mask
        result[hit] = label
        pending &= ~hit
    result[pending] = "other"
    return pd.Series(result, dtype="category")
