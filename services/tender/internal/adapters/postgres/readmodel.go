package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// Recorder writes what consumed events change, in the consumer's own
// transaction (the one that writes the inbox row).
type Recorder struct{ tx *sqlx.Tx }

// InTx returns the recorder of a consumer's transaction.
func InTx(tx *sqlx.Tx) app.Recorder { return Recorder{tx: tx} }

// ApplyLicense updates the qualification read model. An event older than
// what is stored for the license is ignored, so a late redelivery cannot
// revive a revoked license.
func (r Recorder) ApplyLicense(ctx context.Context, l domain.VendorLicense, eventID string) error {
	_, err := r.tx.ExecContext(ctx, `
		INSERT INTO vendor_license (license_id, number, business_id, kbli, status, valid_until, event_time, holder_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (license_id) DO UPDATE SET
			number = EXCLUDED.number, business_id = EXCLUDED.business_id, kbli = EXCLUDED.kbli, holder_name = EXCLUDED.holder_name,
			status = EXCLUDED.status, valid_until = EXCLUDED.valid_until, event_time = EXCLUDED.event_time
		WHERE vendor_license.event_time <= EXCLUDED.event_time`,
		l.LicenseID, l.Number, l.BusinessID, l.KBLI, l.Status, l.ValidUntil, l.EventTime, l.HolderName)
	if err != nil {
		return fmt.Errorf("apply license %s: %w", l.LicenseID, err)
	}
	return audit.Record(ctx, r.tx, audit.Entry{Actor: "system:licensing-events", Action: "vendor_license." + string(l.Status),
		EntityType: "vendor_license", EntityID: l.LicenseID, RequestID: eventID,
		After: map[string]any{"business_id": l.BusinessID, "kbli": l.KBLI, "status": l.Status}})
}

// MarkSecurityHeld records a paid bid security (payment.invoice.paid). It
// reports false when the reference names no bid security of this service
// waiting for payment.
func (r Recorder) MarkSecurityHeld(ctx context.Context, securityID, invoiceID string, paidAt time.Time, eventID string) (bool, error) {
	if !isUUID(securityID) {
		return false, nil
	}
	var tenderID, vendor string
	err := r.tx.QueryRowxContext(ctx, `
		UPDATE bid_security SET state = $4, invoice_id = $2, held_at = $3
		WHERE id = $1 AND state = $5 RETURNING tender_id, vendor`, securityID, invoiceID, paidAt,
		domain.SecurityHeld, domain.SecurityRequested).Scan(&tenderID, &vendor)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hold bid security %s: %w", securityID, err)
	}
	return true, audit.Record(ctx, r.tx, audit.Entry{Actor: "system:payment-events", Action: "bid_security.held",
		EntityType: "bid_security", EntityID: securityID, RequestID: eventID,
		Before: map[string]any{"state": domain.SecurityRequested},
		After:  map[string]any{"state": domain.SecurityHeld, "invoice_id": invoiceID, "tender_id": tenderID, "vendor": vendor}})
}

// SettleSecurity records that payment released or forfeited a held bid
// security (payment.bid_security.released / .forfeited). Unknown or
// already settled securities are left as they are.
func (r Recorder) SettleSecurity(ctx context.Context, tenderID, vendor string, to domain.SecurityState, eventID string) error {
	if !isUUID(tenderID) {
		return nil
	}
	var id string
	err := r.tx.GetContext(ctx, &id, `
		UPDATE bid_security SET state = $3 WHERE tender_id = $1 AND vendor = $2 AND state = $4 RETURNING id`,
		tenderID, vendor, to, domain.SecurityHeld)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("settle bid security of %s on %s: %w", vendor, tenderID, err)
	}
	return audit.Record(ctx, r.tx, audit.Entry{Actor: "system:payment-events", Action: "bid_security." + string(to),
		EntityType: "bid_security", EntityID: id, RequestID: eventID,
		Before: map[string]any{"state": domain.SecurityHeld}, After: map[string]any{"state": to}})
}

type clarificationRow struct {
	ID         string     `db:"id"`
	TenderID   string     `db:"tender_id"`
	AskerOrg   string     `db:"asker_org"`
	Asker      string     `db:"asker"`
	Question   string     `db:"question"`
	AskedAt    time.Time  `db:"asked_at"`
	Answer     *string    `db:"answer"`
	AnsweredAt *time.Time `db:"answered_at"`
}

func (r clarificationRow) clarification() app.Clarification {
	return app.Clarification{ID: r.ID, TenderID: r.TenderID, AskerOrg: r.AskerOrg, Asker: r.Asker, Question: r.Question,
		AskedAt: r.AskedAt.UTC(), Answer: r.Answer, AnsweredAt: r.AnsweredAt}
}

// AskQuestion stores a clarification question; check is run on the tender
// under its key-share lock.
func (s *Store) AskQuestion(ctx context.Context, tenderID, question string, who app.Who, now time.Time, check func(t *domain.Tender) error) (app.Clarification, error) {
	if !isUUID(tenderID) {
		return app.Clarification{}, domain.NoSuchTender()
	}
	id, err := newID()
	if err != nil {
		return app.Clarification{}, err
	}
	c := app.Clarification{ID: id, TenderID: tenderID, AskerOrg: who.Org, Asker: who.Subject, Question: question, AskedAt: now}
	err = dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, tenderID, "FOR KEY SHARE OF t")
		if err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO clarification (id, tender_id, asker_org, asker, question, asked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			c.ID, tenderID, who.Org, who.Subject, question, now); err != nil {
			return fmt.Errorf("insert question: %w", err)
		}
		return record(ctx, tx, who, "clarification", c.ID, tenderAggregate(tenderID), nil,
			map[string]any{"question": question}, app.Effect{Action: "clarification.ask"}, now)
	})
	return c, err
}

// AnswerQuestion records the committee's public answer; check is given the
// tender.
func (s *Store) AnswerQuestion(ctx context.Context, tenderID, questionID, answer string, who app.Who, now time.Time, check func(t *domain.Tender) error) (app.Clarification, error) {
	if !isUUID(tenderID) || !isUUID(questionID) {
		return app.Clarification{}, apperr.New(apperr.NotFound, "no such question")
	}
	var r clarificationRow
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, tenderID, "FOR KEY SHARE OF t")
		if err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &r, `
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
		return record(ctx, tx, who, "clarification", r.ID, tenderAggregate(tenderID), nil,
			map[string]any{"answer": answer}, app.Effect{Action: "clarification.answer"}, now)
	})
	return r.clarification(), err
}

// Clarifications lists a tender's questions and answers, oldest first.
func (s *Store) Clarifications(ctx context.Context, tenderID string) ([]app.Clarification, error) {
	var rows []clarificationRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT id, tender_id, asker_org, asker, question, asked_at, answer, answered_at
		FROM clarification WHERE tender_id = $1 ORDER BY asked_at, id`, tenderID)
	if err != nil {
		return nil, fmt.Errorf("list clarifications: %w", err)
	}
	out := make([]app.Clarification, len(rows))
	for i, r := range rows {
		out[i] = r.clarification()
	}
	return out, nil
}

// PublishedTenders lists published tenders, newest first, after the keyset
// cursor (published_at, id) when given.
func (s *Store) PublishedTenders(ctx context.Context, search domain.TenderSearch, limit int, after *app.TenderCursor) ([]*domain.Tender, error) {
	args := []any{limit}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := `t.published_at IS NOT NULL`
	if after != nil {
		where += ` AND (t.published_at, t.id) < (` + arg(after.PublishedAt) + `, ` + arg(after.ID) + `)`
	}
	// The search, as domain.TenderSearch.Matches says it.
	for _, w := range search.Words {
		where += ` AND position(` + arg(w) + ` in lower(t.number || ' ' || t.title || ' ' || t.description || ' ' || t.buyer_agency)) > 0`
	}
	if search.KBLI != "" {
		where += ` AND t.kbli = ` + arg(search.KBLI)
	}
	if search.Buyer != "" {
		where += ` AND position(lower(` + arg(search.Buyer) + `) in lower(t.buyer_agency)) > 0`
	}
	if search.Category != "" {
		where += ` AND t.category = ` + arg(string(search.Category))
	}
	if search.State != "" {
		where += ` AND t.state = ` + arg(string(search.State))
	}
	if search.DeadlineAfter != nil {
		where += ` AND t.bid_deadline >= ` + arg(*search.DeadlineAfter)
	}
	if search.DeadlineBefore != nil {
		where += ` AND t.bid_deadline < ` + arg(*search.DeadlineBefore)
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
