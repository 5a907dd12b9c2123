// Package postgres keeps the payment service's records in PostgreSQL:
// invoices, payments, the ledger, bid securities, refunds and
// reconciliations, and writes each state change together with its outbox
// event and audit record in one transaction. It implements app.Store and
// app.Tx; the states its queries select by are the domain's, passed as
// parameters.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

// Store is the service's database.
type Store struct{ db *sqlx.DB }

// New returns a store on db.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB returns the pool (for consumers that open their own transactions).
func (s *Store) DB() *sqlx.DB { return s.db }

var (
	_ app.Store = (*Store)(nil)
	_ app.Tx    = (*Tx)(nil)
)

// InTx runs fn in one short transaction.
func (s *Store) InTx(ctx context.Context, fn func(app.Tx) error) error {
	return s.inTx(ctx, func(t *Tx) error { return fn(t) })
}

// names passes the domain's states (or outcomes) to a query as a text[].
func names[S ~string](ss []S) pq.StringArray {
	out := make(pq.StringArray, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func (s *Store) inTx(ctx context.Context, fn func(*Tx) error) error {
	return dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error { return fn(&Tx{tx: tx}) })
}

// Tx is one transaction: every write of a state change, its outbox event and
// its audit record go through the same Tx.
type Tx struct{ tx *sqlx.Tx }

// Wrap adopts a transaction opened elsewhere (an event consumer's).
func Wrap(tx *sqlx.Tx) *Tx { return &Tx{tx: tx} }

// Enqueue writes ev to the outbox in this transaction.
func (t *Tx) Enqueue(ctx context.Context, ev events.Event, aggregate string) error {
	return events.Enqueue(ctx, t.tx, ev, aggregate)
}

// Audit writes an audit record in this transaction.
func (t *Tx) Audit(ctx context.Context, e audit.Entry) error { return audit.Record(ctx, t.tx, e) }

const invoiceColumns = `id, billing_code, purpose, reference, payer, amount, currency, description, state,
	expires_at, created_at, updated_at, version`

type invoiceRow struct {
	ID          uuid.UUID `db:"id"`
	BillingCode string    `db:"billing_code"`
	Purpose     string    `db:"purpose"`
	Reference   string    `db:"reference"`
	Payer       string    `db:"payer"`
	Amount      int64     `db:"amount"`
	Currency    string    `db:"currency"`
	Description string    `db:"description"`
	State       string    `db:"state"`
	ExpiresAt   time.Time `db:"expires_at"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
	Version     int       `db:"version"`
}

func (r invoiceRow) invoice() *domain.Invoice {
	return domain.UnmarshalInvoiceFromDatabase(domain.InvoiceRecord{
		ID: r.ID, BillingCode: domain.BillingCode(r.BillingCode), Purpose: domain.Purpose(r.Purpose),
		Reference: r.Reference, Payer: r.Payer, Amount: domain.Money{Amount: r.Amount, Currency: r.Currency},
		Description: r.Description, State: domain.InvoiceState(r.State), ExpiresAt: r.ExpiresAt.UTC(),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	})
}

func invoices(rows []invoiceRow) []*domain.Invoice {
	out := make([]*domain.Invoice, len(rows))
	for i, r := range rows {
		out[i] = r.invoice()
	}
	return out
}

// maxCodeDraws bounds the retries after billing code collisions (each has a
// chance of about n/10^13).
const maxCodeDraws = 5

// InsertInvoice stores a new invoice. When an invoice for the same purpose
// and reference exists, it stores nothing and returns that one (created
// false): the same request twice makes one invoice. A billing code taken by
// another invoice is drawn again.
func (t *Tx) InsertInvoice(ctx context.Context, inv *domain.Invoice) (stored *domain.Invoice, created bool, err error) {
	for range maxCodeDraws {
		r := inv.Record()
		res, err := t.tx.ExecContext(ctx, `
			INSERT INTO invoice (`+invoiceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT DO NOTHING`,
			r.ID, string(r.BillingCode), string(r.Purpose), r.Reference, r.Payer, r.Amount.Amount, r.Amount.Currency,
			r.Description, string(r.State), r.ExpiresAt, r.CreatedAt, r.UpdatedAt, r.Version)
		if err != nil {
			return nil, false, fmt.Errorf("insert invoice %s: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return inv, true, nil
		}
		existing, err := t.InvoiceByReference(ctx, r.Purpose, r.Reference)
		if err == nil {
			return existing, false, nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return nil, false, err
		}
		if err := inv.RegenerateBillingCode(); err != nil {
			return nil, false, err
		}
	}
	return nil, false, fmt.Errorf("insert invoice: %d billing codes drawn, all taken", maxCodeDraws)
}

func (t *Tx) getInvoice(ctx context.Context, what, where string, args ...any) (*domain.Invoice, error) {
	var r invoiceRow
	err := t.tx.GetContext(ctx, &r, `SELECT `+invoiceColumns+` FROM invoice WHERE `+where, args...)
	if dbx.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "No such invoice.")
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice %s: %w", what, err)
	}
	return r.invoice(), nil
}

// InvoiceByReference returns the invoice of a requesting record.
func (t *Tx) InvoiceByReference(ctx context.Context, p domain.Purpose, reference string) (*domain.Invoice, error) {
	return t.getInvoice(ctx, reference, `purpose = $1 AND reference = $2`, string(p), reference)
}

// LockInvoice loads an invoice and locks its row until the transaction ends.
func (t *Tx) LockInvoice(ctx context.Context, id uuid.UUID) (*domain.Invoice, error) {
	return t.getInvoice(ctx, id.String(), `id = $1 FOR UPDATE`, id)
}

// LockInvoiceByCode loads the invoice of a billing code and locks its row.
func (t *Tx) LockInvoiceByCode(ctx context.Context, code string) (*domain.Invoice, error) {
	return t.getInvoice(ctx, code, `billing_code = $1 FOR UPDATE`, code)
}

// UpdateInvoice writes the invoice's state; version is the one it was read at.
func (t *Tx) UpdateInvoice(ctx context.Context, inv *domain.Invoice, readVersion int) error {
	r := inv.Record()
	res, err := t.tx.ExecContext(ctx, `
		UPDATE invoice SET state = $2, updated_at = $3, version = $4
		WHERE id = $1 AND version = $5`,
		r.ID, string(r.State), r.UpdatedAt, r.Version, readVersion)
	if err != nil {
		return fmt.Errorf("update invoice %s: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.PreconditionFailed, "The invoice changed since it was read (version %d); reload and try again.", readVersion)
	}
	return nil
}

// DueInvoices locks up to limit invoices past their expiry in a state they
// expire from (domain.ExpirableStates), skipping rows another instance
// holds: two schedulers share the work, never a row.
func (t *Tx) DueInvoices(ctx context.Context, now time.Time, limit int) ([]*domain.Invoice, error) {
	var rows []invoiceRow
	err := t.tx.SelectContext(ctx, &rows, `
		SELECT `+invoiceColumns+` FROM invoice
		WHERE state = ANY($3) AND expires_at <= $1
		ORDER BY expires_at
		LIMIT $2
		FOR UPDATE SKIP LOCKED`, now, limit, names(domain.ExpirableStates()))
	if err != nil {
		return nil, fmt.Errorf("select due invoices: %w", err)
	}
	return invoices(rows), nil
}

// GetInvoice reads one invoice.
func (s *Store) GetInvoice(ctx context.Context, id uuid.UUID) (*domain.Invoice, error) {
	var inv *domain.Invoice
	err := s.inTx(ctx, func(t *Tx) (err error) {
		inv, err = t.getInvoice(ctx, id.String(), `id = $1`, id)
		return err
	})
	return inv, err
}

// GetInvoiceByCode reads the invoice of a billing code.
func (s *Store) GetInvoiceByCode(ctx context.Context, code domain.BillingCode) (*domain.Invoice, error) {
	var r invoiceRow
	err := s.db.GetContext(ctx, &r, `SELECT `+invoiceColumns+` FROM invoice WHERE billing_code = $1`, string(code))
	if dbx.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "No invoice has this billing code.")
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice by code: %w", err)
	}
	return r.invoice(), nil
}

// ListInvoices returns a page of invoices, newest first (UUIDv7 order).
func (s *Store) ListInvoices(ctx context.Context, f app.InvoiceFilter) ([]*domain.Invoice, error) {
	var rows []invoiceRow
	before := any(nil)
	if f.Before != uuid.Nil {
		before = f.Before
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT `+invoiceColumns+` FROM invoice
		WHERE ($1 = '' OR payer = $1) AND ($2 = '' OR state = $2) AND ($3::uuid IS NULL OR id < $3::uuid)
		ORDER BY id DESC
		LIMIT $4`, f.Payer, f.State, before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}
	return invoices(rows), nil
}

// AppendTransaction appends a ledger transaction and its postings. The
// database refuses at commit a transaction that does not balance.
func (t *Tx) AppendTransaction(ctx context.Context, lt domain.Transaction) error {
	if err := lt.Balanced(); err != nil {
		return err
	}
	var invoiceID, reverses any
	if lt.InvoiceID != uuid.Nil {
		invoiceID = lt.InvoiceID
	}
	if lt.Reverses != uuid.Nil {
		reverses = lt.Reverses
	}
	accounts := make([]string, len(lt.Postings))
	currencies := make([]string, len(lt.Postings))
	amounts := make([]int64, len(lt.Postings))
	for i, p := range lt.Postings {
		accounts[i], currencies[i], amounts[i] = string(p.Account), p.Currency, p.Amount
	}
	_, err := t.tx.ExecContext(ctx, `
		WITH tx AS (
			INSERT INTO ledger_transaction (id, kind, invoice_id, reverses, created_at)
			VALUES ($1, $2, $3, $4, $5)
			RETURNING id
		)
		INSERT INTO ledger_posting (transaction_id, account, currency, amount)
		SELECT tx.id, p.account, p.currency, p.amount
		FROM tx, unnest($6::text[], $7::text[], $8::bigint[]) AS p(account, currency, amount)`,
		lt.ID, string(lt.Kind), invoiceID, reverses, lt.At, pq.Array(accounts), pq.Array(currencies), pq.Array(amounts))
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("append ledger transaction %s (%s): %w", lt.ID, lt.Kind, err),
			"This ledger transaction was already reversed.")
	}
	return nil
}

// TransactionOf returns the invoice's first transaction of kind not yet
// reversed.
func (t *Tx) TransactionOf(ctx context.Context, invoiceID uuid.UUID, kind domain.TransactionKind) (domain.Transaction, error) {
	var id uuid.UUID
	err := t.tx.GetContext(ctx, &id, `
		SELECT t.id FROM ledger_transaction t
		WHERE t.invoice_id = $1 AND t.kind = $2
		  AND NOT EXISTS (SELECT 1 FROM ledger_transaction r WHERE r.reverses = t.id)
		ORDER BY t.id LIMIT 1`, invoiceID, string(kind))
	if dbx.IsNoRows(err) {
		return domain.Transaction{}, apperr.New(apperr.NotFound, "No %s transaction of invoice %s.", kind, invoiceID)
	}
	if err != nil {
		return domain.Transaction{}, fmt.Errorf("find %s transaction of %s: %w", kind, invoiceID, err)
	}
	txs, err := loadTransactions(ctx, t.tx, `WHERE t.id = $1`, id)
	if err != nil {
		return domain.Transaction{}, err
	}
	return txs[0], nil
}

type postingRow struct {
	ID        uuid.UUID     `db:"id"`
	Kind      string        `db:"kind"`
	InvoiceID uuid.NullUUID `db:"invoice_id"`
	Reverses  uuid.NullUUID `db:"reverses"`
	CreatedAt time.Time     `db:"created_at"`
	Account   string        `db:"account"`
	Currency  string        `db:"currency"`
	Amount    int64         `db:"amount"`
}

func loadTransactions(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]domain.Transaction, error) {
	var rows []postingRow
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT t.id, t.kind, t.invoice_id, t.reverses, t.created_at, p.account, p.currency, p.amount
		FROM ledger_transaction t JOIN ledger_posting p ON p.transaction_id = t.id
		`+where+` ORDER BY t.id, p.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("load ledger transactions: %w", err)
	}
	var out []domain.Transaction
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, domain.Transaction{ID: r.ID, Kind: domain.TransactionKind(r.Kind),
				InvoiceID: r.InvoiceID.UUID, Reverses: r.Reverses.UUID, At: r.CreatedAt.UTC()})
		}
		last := &out[len(out)-1]
		last.Postings = append(last.Postings, domain.Posting{Account: domain.Account(r.Account), Amount: r.Amount, Currency: r.Currency})
	}
	return out, nil
}

// Transactions returns the ledger transactions of an invoice (all when
// invoiceID is uuid.Nil), in order.
func (s *Store) Transactions(ctx context.Context, invoiceID uuid.UUID) ([]domain.Transaction, error) {
	if invoiceID == uuid.Nil {
		return loadTransactions(ctx, s.db, ``)
	}
	return loadTransactions(ctx, s.db, `WHERE t.invoice_id = $1`, invoiceID)
}

// Balances derives every account's balance from the postings.
func (s *Store) Balances(ctx context.Context) (domain.Balances, error) {
	var rows []struct {
		Account  string `db:"account"`
		Currency string `db:"currency"`
		Balance  string `db:"balance"`
	}
	// Summed in numeric and read as text: a sum outside int64 is reported,
	// never an error of the query (a cast to bigint would fail it for all).
	if err := s.db.SelectContext(ctx, &rows, `
		SELECT account, currency, sum(amount)::text AS balance FROM ledger_posting
		GROUP BY account, currency HAVING sum(amount) <> 0`); err != nil {
		return nil, fmt.Errorf("derive balances: %w", err)
	}
	b := domain.Balances{}
	for _, r := range rows {
		amount, err := strconv.ParseInt(r.Balance, 10, 64)
		if err != nil {
			return nil, domain.ErrBalanceOutOfRange(r.Account, r.Currency)
		}
		if b[domain.Account(r.Account)] == nil {
			b[domain.Account(r.Account)] = map[string]int64{}
		}
		b[domain.Account(r.Account)][r.Currency] = amount
	}
	return b, nil
}

// InsertPayment records a payment unless its gateway reference is known
// already; inserted is false for a duplicate, which changes nothing.
func (t *Tx) InsertPayment(ctx context.Context, p domain.Payment) (inserted bool, err error) {
	var invoiceID any
	if p.InvoiceID != uuid.Nil {
		invoiceID = p.InvoiceID
	}
	res, err := t.tx.ExecContext(ctx, `
		INSERT INTO payment (id, gateway_reference, invoice_id, billing_code, amount, currency, proof,
			paid_at, received_at, outcome, review_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (gateway_reference) DO NOTHING`,
		p.ID, p.GatewayReference, invoiceID, p.BillingCode, p.Amount.Amount, p.Amount.Currency, p.Proof,
		p.PaidAt, p.ReceivedAt, string(p.Outcome), string(p.ReviewReason))
	if err != nil {
		return false, fmt.Errorf("insert payment %s: %w", p.GatewayReference, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

type paymentRow struct {
	ID               uuid.UUID     `db:"id"`
	GatewayReference string        `db:"gateway_reference"`
	InvoiceID        uuid.NullUUID `db:"invoice_id"`
	BillingCode      string        `db:"billing_code"`
	Amount           int64         `db:"amount"`
	Currency         string        `db:"currency"`
	Proof            string        `db:"proof"`
	PaidAt           time.Time     `db:"paid_at"`
	ReceivedAt       time.Time     `db:"received_at"`
	Outcome          string        `db:"outcome"`
	ReviewReason     string        `db:"review_reason"`
}

// PaymentsOf returns the payments of an invoice, or of a billing code when
// no invoice has it.
func (s *Store) PaymentsOf(ctx context.Context, invoiceID uuid.UUID, billingCode string) ([]domain.Payment, error) {
	var rows []paymentRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT id, gateway_reference, invoice_id, billing_code, amount, currency, proof, paid_at, received_at, outcome, review_reason
		FROM payment WHERE invoice_id = $1 OR (invoice_id IS NULL AND billing_code = $2) ORDER BY id`, invoiceID, billingCode)
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	out := make([]domain.Payment, len(rows))
	for i, r := range rows {
		out[i] = domain.Payment{ID: r.ID, GatewayReference: r.GatewayReference, InvoiceID: r.InvoiceID.UUID,
			BillingCode: r.BillingCode, Amount: domain.Money{Amount: r.Amount, Currency: r.Currency}, Proof: r.Proof,
			PaidAt: r.PaidAt.UTC(), ReceivedAt: r.ReceivedAt.UTC(), Outcome: domain.PaymentOutcome(r.Outcome),
			ReviewReason: domain.ReviewReason(r.ReviewReason)}
	}
	return out, nil
}

type securityRow struct {
	ID              uuid.UUID `db:"id"`
	InvoiceID       uuid.UUID `db:"invoice_id"`
	TenderID        string    `db:"tender_id"`
	Vendor          string    `db:"vendor"`
	Amount          int64     `db:"amount"`
	Currency        string    `db:"currency"`
	State           string    `db:"state"`
	PendingDecision string    `db:"pending_decision"`
	Reason          string    `db:"reason"`
	UpdatedAt       time.Time `db:"updated_at"`
}

const securityColumns = `id, invoice_id, tender_id, vendor, amount, currency, state, pending_decision, reason, updated_at`

func (r securityRow) security() *domain.BidSecurity {
	return &domain.BidSecurity{ID: r.ID, InvoiceID: r.InvoiceID, TenderID: r.TenderID, Vendor: r.Vendor,
		Amount: domain.Money{Amount: r.Amount, Currency: r.Currency}, State: domain.BidSecurityState(r.State),
		Pending: domain.SecurityDecision(r.PendingDecision), Reason: r.Reason, UpdatedAt: r.UpdatedAt.UTC()}
}

// InsertBidSecurity stores a new security.
func (t *Tx) InsertBidSecurity(ctx context.Context, s *domain.BidSecurity) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO bid_security (`+securityColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.ID, s.InvoiceID, s.TenderID, s.Vendor, s.Amount.Amount, s.Amount.Currency, string(s.State),
		string(s.Pending), s.Reason, s.UpdatedAt)
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("insert bid security of %s for %s: %w", s.Vendor, s.TenderID, err),
			"This vendor already has a bid security for this tender.")
	}
	return nil
}

// UpdateBidSecurity writes a security's state.
func (t *Tx) UpdateBidSecurity(ctx context.Context, s *domain.BidSecurity) error {
	_, err := t.tx.ExecContext(ctx, `
		UPDATE bid_security SET state = $2, pending_decision = $3, reason = $4, updated_at = $5 WHERE id = $1`,
		s.ID, string(s.State), string(s.Pending), s.Reason, s.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update bid security %s: %w", s.ID, err)
	}
	return nil
}

// LockBidSecurityOfInvoice returns the security backed by an invoice, locked;
// nil when the invoice backs none.
func (t *Tx) LockBidSecurityOfInvoice(ctx context.Context, invoiceID uuid.UUID) (*domain.BidSecurity, error) {
	var r securityRow
	err := t.tx.GetContext(ctx, &r, `SELECT `+securityColumns+` FROM bid_security WHERE invoice_id = $1 FOR UPDATE`, invoiceID)
	if dbx.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load bid security of invoice %s: %w", invoiceID, err)
	}
	return r.security(), nil
}

// LockBidSecurities returns the securities of a tender (of one vendor when
// vendor is not ""), locked together with their invoices, invoice first and
// in invoice id order: the order a payment takes them (invoice, then its
// security), so a payment and an award never wait on each other in a cycle.
func (t *Tx) LockBidSecurities(ctx context.Context, tenderID, vendor string) ([]*domain.BidSecurity, error) {
	var rows []securityRow
	err := t.tx.SelectContext(ctx, &rows, `
		SELECT s.id, s.invoice_id, s.tender_id, s.vendor, s.amount, s.currency, s.state, s.pending_decision, s.reason, s.updated_at
		FROM bid_security s JOIN invoice i ON i.id = s.invoice_id
		WHERE s.tender_id = $1 AND ($2 = '' OR s.vendor = $2)
		ORDER BY i.id FOR UPDATE OF i, s`, tenderID, vendor)
	if err != nil {
		return nil, fmt.Errorf("load bid securities of tender %s: %w", tenderID, err)
	}
	out := make([]*domain.BidSecurity, len(rows))
	for i, r := range rows {
		out[i] = r.security()
	}
	return out, nil
}

// BidSecurities reads the securities of a tender.
func (s *Store) BidSecurities(ctx context.Context, tenderID string) ([]*domain.BidSecurity, error) {
	var out []*domain.BidSecurity
	err := s.inTx(ctx, func(t *Tx) (err error) {
		out, err = t.LockBidSecurities(ctx, tenderID, "")
		return err
	})
	return out, err
}

// RecordAward notes a tender's final award; recorded is false when it was
// noted before (the first award event wins).
func (t *Tx) RecordAward(ctx context.Context, tenderID, winner string, at time.Time) (recorded bool, err error) {
	res, err := t.tx.ExecContext(ctx, `
		INSERT INTO tender_award (tender_id, winner, finalised_at) VALUES ($1, $2, $3)
		ON CONFLICT (tender_id) DO NOTHING`, tenderID, winner, at)
	if err != nil {
		return false, fmt.Errorf("record award of %s: %w", tenderID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AwardWinner returns the winner of a tender whose award is final; false
// when it is not.
func (t *Tx) AwardWinner(ctx context.Context, tenderID string) (string, bool, error) {
	var winner string
	err := t.tx.GetContext(ctx, &winner, `SELECT winner FROM tender_award WHERE tender_id = $1`, tenderID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("load award of %s: %w", tenderID, err)
	}
	return winner, true, nil
}
