-- Each project's pay rules: the days a client may dispute a released report (its shopper's
-- pay waits meanwhile), and the minutes a visit takes (the job board's estimated pay per hour).
ALTER TABLE projects ADD COLUMN dispute_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE projects ADD COLUMN visit_minutes INTEGER NOT NULL DEFAULT 30;

-- A client's dispute of a released report, within its project's dispute days: the reason, and
-- QA's answer (upheld: the client is right, and the shopper's pay for it may be withheld;
-- dismissed: the report stands). One per report. The shopper sees the outcome.
CREATE TABLE disputes (
    assignment_id BIGINT PRIMARY KEY REFERENCES assignments (id) ON DELETE CASCADE,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    raised_by BIGINT REFERENCES users (id),
    reason TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    outcome TEXT CHECK (outcome IN ('upheld', 'dismissed')),
    answer TEXT,
    answered_by BIGINT REFERENCES users (id),
    answered_at TIMESTAMP
);
CREATE INDEX disputes_open ON disputes (answered_at, raised_at);

-- A payout run: the approved lines it took, grouped per shopper in its CSV; paid when staff
-- confirm the payment provider paid it.
CREATE TABLE payouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES users (id),
    payees INTEGER NOT NULL DEFAULT 0,
    total_cents BIGINT NOT NULL DEFAULT 0,
    paid_at TIMESTAMP,
    paid_by BIGINT REFERENCES users (id)
);

-- What an approved assignment earns: its fee, its bonus, the reimbursement QA approved (the
-- receipt, at most the cap), one line each. pending (its report may still be disputed) →
-- approved (owed; taken by one payout run) → paid; withheld: not paid, with why (a dispute
-- upheld). Integer cents. A line is in at most one payout.
CREATE TABLE ledger_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id BIGINT NOT NULL REFERENCES assignments (id),
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id),
    client_id BIGINT NOT NULL REFERENCES clients (id),
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'bonus', 'reimbursement')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'paid', 'withheld')),
    note TEXT,
    earned_at TIMESTAMP NOT NULL,
    approved_at TIMESTAMP,
    payout_id BIGINT REFERENCES payouts (id),
    paid_at TIMESTAMP,
    UNIQUE (assignment_id, kind)
);
CREATE INDEX ledger_lines_shopper ON ledger_lines (shopper_id, id);
CREATE INDEX ledger_lines_state ON ledger_lines (state, payout_id);
CREATE INDEX ledger_lines_payout ON ledger_lines (payout_id, shopper_id);
