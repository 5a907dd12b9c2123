package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/domain"
)

// LicenseFact is what a licensing.license.* event says of a license.
type LicenseFact struct {
	LicenseID  string
	Number     string
	BusinessID string
	KBLI       string
	Status     string // active, suspended, revoked, expired
	ValidUntil *time.Time
	EventTime  time.Time
}

// ApplyLicense updates the qualification read model in the consumer's
// transaction. An event older than what is stored for the license is
// ignored, so a late redelivery cannot revive a revoked license.
func ApplyLicense(ctx context.Context, tx *sqlx.Tx, f LicenseFact, eventID string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO vendor_license (license_id, number, business_id, kbli, status, valid_until, event_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (license_id) DO UPDATE SET
			number = EXCLUDED.number, business_id = EXCLUDED.business_id, kbli = EXCLUDED.kbli,
			status = EXCLUDED.status, valid_until = EXCLUDED.valid_until, event_time = EXCLUDED.event_time
		WHERE vendor_license.event_time <= EXCLUDED.event_time`,
		f.LicenseID, f.Number, f.BusinessID, f.KBLI, f.Status, f.ValidUntil, f.EventTime)
	if err != nil {
		return fmt.Errorf("apply license %s: %w", f.LicenseID, err)
	}
	return audit.Record(ctx, tx, audit.Entry{Actor: "system:licensing-events", Action: "vendor_license." + f.Status,
		EntityType: "vendor_license", EntityID: f.LicenseID, RequestID: eventID,
		After: map[string]any{"business_id": f.BusinessID, "kbli": f.KBLI, "status": f.Status}})
}

// MarkSecurityHeld records a paid bid security (payment.invoice.paid). It
// reports false when the reference names no bid security of this service.
func MarkSecurityHeld(ctx context.Context, tx *sqlx.Tx, securityID, invoiceID string, paidAt time.Time, eventID string) (bool, error) {
	if !isUUID(securityID) {
		return false, nil
	}
	var tenderID, vendor string
	err := tx.QueryRowxContext(ctx, `
		UPDATE bid_security SET state = 'held', invoice_id = $2, held_at = $3
		WHERE id = $1 AND state = 'requested' RETURNING tender_id, vendor`, securityID, invoiceID, paidAt).Scan(&tenderID, &vendor)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hold bid security %s: %w", securityID, err)
	}
	return true, audit.Record(ctx, tx, audit.Entry{Actor: "system:payment-events", Action: "bid_security.held",
		EntityType: "bid_security", EntityID: securityID, RequestID: eventID,
		Before: map[string]any{"state": "requested"}, After: map[string]any{"state": "held", "invoice_id": invoiceID, "tender_id": tenderID, "vendor": vendor}})
}

// SettleSecurity records that payment released or forfeited a held bid
// security (payment.bid_security.released / .forfeited). Unknown or
// already settled securities are left as they are.
func SettleSecurity(ctx context.Context, tx *sqlx.Tx, tenderID, vendor, state, eventID string) error {
	if !isUUID(tenderID) {
		return nil
	}
	var id string
	err := tx.GetContext(ctx, &id, `
		UPDATE bid_security SET state = $3 WHERE tender_id = $1 AND vendor = $2 AND state = 'held' RETURNING id`,
		tenderID, vendor, state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("settle bid security of %s on %s: %w", vendor, tenderID, err)
	}
	return audit.Record(ctx, tx, audit.Entry{Actor: "system:payment-events", Action: "bid_security." + state,
		EntityType: "bid_security", EntityID: id, RequestID: eventID,
		Before: map[string]any{"state": "held"}, After: map[string]any{"state": state}})
}

// BidSecurity is a vendor's bid security on a tender.
type BidSecurity struct {
	ID       string     `db:"id" json:"id"`
	TenderID string     `db:"tender_id" json:"tender_id"`
	Vendor   string     `db:"vendor" json:"vendor"`
	Amount   int64      `db:"amount" json:"amount"`
	State    string     `db:"state" json:"state"`
	HeldAt   *time.Time `db:"held_at" json:"held_at"`
}

// VendorSecurity returns the vendor's bid security on a tender, if any.
func (s *Store) VendorSecurity(ctx context.Context, tenderID, vendor string) (*BidSecurity, error) {
	return optional[BidSecurity](ctx, s.db, "bid security",
		`SELECT id, tender_id, vendor, amount, state, held_at FROM bid_security WHERE tender_id = $1 AND vendor = $2`, tenderID, vendor)
}

// Clarification is a question and its public answer. The asker is kept
// for the committee's records and never shown publicly.
type Clarification struct {
	ID         string     `db:"id" json:"id"`
	TenderID   string     `db:"tender_id" json:"tender_id"`
	AskerOrg   string     `db:"asker_org" json:"-"`
	Asker      string     `db:"asker" json:"-"`
	Question   string     `db:"question" json:"question"`
	AskedAt    time.Time  `db:"asked_at" json:"asked_at"`
	Answer     *string    `db:"answer" json:"answer"`
	AnsweredAt *time.Time `db:"answered_at" json:"answered_at"`
}

// AskQuestion stores a clarification question; check is run under the
// tender's key-share lock with the time of the question.
func (s *Store) AskQuestion(ctx context.Context, tenderID, question string, who Who, now time.Time, check func(state string, deadline time.Time) error) (Clarification, error) {
	if !isUUID(tenderID) {
		return Clarification{}, apperr.New(apperr.NotFound, "no such tender")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Clarification{}, err
	}
	c := Clarification{ID: id.String(), TenderID: tenderID, AskerOrg: who.Org, Asker: who.Subject, Question: question, AskedAt: now}
	err = dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var st struct {
			State    string    `db:"state"`
			Deadline time.Time `db:"bid_deadline"`
		}
		err := tx.GetContext(ctx, &st, `SELECT state, bid_deadline FROM tender WHERE id = $1 FOR KEY SHARE`, tenderID)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "no such tender")
		}
		if err != nil {
			return fmt.Errorf("load tender: %w", err)
		}
		if err := check(st.State, st.Deadline); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO clarification (id, tender_id, asker_org, asker, question, asked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			c.ID, tenderID, who.Org, who.Subject, question, now); err != nil {
			return fmt.Errorf("insert question: %w", err)
		}
		return record(ctx, tx, who, "clarification", c.ID, tenderAggregate(tenderID), nil,
			map[string]any{"question": question}, Effect{Action: "clarification.ask"}, now)
	})
	return c, err
}

// AnswerQuestion records the committee's public answer; check is given the
// committee of the tender.
func (s *Store) AnswerQuestion(ctx context.Context, tenderID, questionID, answer string, who Who, now time.Time, check func(committee []string) error) (Clarification, error) {
	if !isUUID(tenderID) || !isUUID(questionID) {
		return Clarification{}, apperr.New(apperr.NotFound, "no such question")
	}
	var c Clarification
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var committee []string
		if err := tx.SelectContext(ctx, &committee, `SELECT member FROM tender_committee WHERE tender_id = $1`, tenderID); err != nil {
			return fmt.Errorf("load committee: %w", err)
		}
		if err := check(committee); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &c, `
			UPDATE clarification SET answer = $3, answered_by = $4, answered_at = $5
			WHERE id = $1 AND tender_id = $2
			RETURNING id, tender_id, asker_org, asker, question, asked_at, answer, answered_at`,
			questionID, tenderID, answer, who.Subject, now)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "no such question")
		}
		if err != nil {
			return fmt.Errorf("answer question: %w", err)
		}
		return record(ctx, tx, who, "clarification", c.ID, tenderAggregate(tenderID), nil,
			map[string]any{"answer": answer}, Effect{Action: "clarification.answer"}, now)
	})
	return c, err
}

// Clarifications lists a tender's questions and answers, oldest first.
func (s *Store) Clarifications(ctx context.Context, tenderID string) ([]Clarification, error) {
	out := []Clarification{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT id, tender_id, asker_org, asker, question, asked_at, answer, answered_at
		FROM clarification WHERE tender_id = $1 ORDER BY asked_at, id`, tenderID)
	if err != nil {
		return nil, fmt.Errorf("list clarifications: %w", err)
	}
	return out, nil
}

// PublishedTenders lists published tenders, newest first, after the keyset
// cursor (published_at, id) when given.
func (s *Store) PublishedTenders(ctx context.Context, limit int, afterAt *time.Time, afterID string) ([]*domain.Tender, error) {
	args := []any{limit}
	where := `t.published_at IS NOT NULL`
	if afterAt != nil {
		where += ` AND (t.published_at, t.id) < ($2, $3)`
		args = append(args, *afterAt, afterID)
	}
	var rows []tenderRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+tenderColumns+` FROM tender t WHERE `+where+
		` ORDER BY t.published_at DESC, t.id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tenders: %w", err)
	}
	out := make([]*domain.Tender, 0, len(rows))
	for _, r := range rows {
		t, err := r.tender()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
