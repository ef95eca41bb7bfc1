"""Loan applications: did the borrower default within a year? (A "make it yours" test dataset.)"""

from __future__ import annotations

from .contract import Column, Schema

PURPOSES = ("car", "home", "education", "business")

SCHEMA = Schema(
    columns=(
        Column("application_id", "string", "Application identifier.", role="id", max_length=32),
        Column("applied_on", "date", "Day the loan was granted (YYYY-MM-DD).", role="time"),
        Column("purpose", "string", "What the loan is for.", allowed=PURPOSES),
        Column("amount", "float", "Amount lent.", minimum=100, maximum=1e6),
        Column("annual_income", "float", "Borrower's annual income.", minimum=1000, maximum=1e7),
        Column(
            "debt_to_income",
            "float",
            "Monthly debt payments over monthly income.",
            minimum=0,
            maximum=5,
            monotone=1,
        ),
        Column("years_employed", "int", "Years with the current employer.", minimum=0, maximum=60, monotone=-1),
        Column("credit_lines", "int", "Open credit lines, if known.", nullable=True, minimum=0, maximum=100),
        Column(
            "defaulted",
            "string",
            "Whether the loan defaulted within a year.",
            role="target",
            allowed=("no", "yes"),
        ),
    ),
)

#: What is at risk when a borrower defaults: the amount lent.
VALUE = "amount"
