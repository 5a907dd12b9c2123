// Package postgres keeps the tender service's state in PostgreSQL: it
// implements app.Store and app.Recorder. Every method that changes state
// runs one transaction that writes the state, its outbox events
// (pkg/events) and an audit record (pkg/audit).
package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// Source is the CloudEvents source of every tender event.
const Source = "/tender"

// Store is the tender service's database.
type Store struct {
	db     *sqlx.DB
	newBid preparedStmt // newBidStatement
}

// New returns a store over db.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

var _ app.Store = (*Store)(nil)

// DB returns the pool (for consumers that bring their own transaction).
func (s *Store) DB() *sqlx.DB { return s.db }

// record writes the change's audit record and events in tx.
func record(ctx context.Context, tx *sqlx.Tx, who app.Who, entityType, entityID, aggregate string, before, after any, eff app.Effect, now time.Time) error {
	for _, e := range eff.Events {
		ev, err := events.New(Source, e.Subject(), entityID, e, now)
		if err != nil {
			return err
		}
		if err := events.Enqueue(ctx, tx, ev, aggregate); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, audit.Entry{
		Actor: who.Subject, ActorRoles: who.Roles, Action: eff.Action, EntityType: entityType, EntityID: entityID,
		Before: before, After: after, RequestID: who.RequestID, At: now, Reason: eff.Reason,
	})
}

func tenderAggregate(id string) string { return "tender/" + id }

// tenderRow is a tender as stored.
type tenderRow struct {
	ID                string         `db:"id"`
	Number            string         `db:"number"`
	State             string         `db:"state"`
	Version           int            `db:"version"`
	Amendment         int            `db:"amendment"`
	BuyerAgency       string         `db:"buyer_agency"`
	Title             string         `db:"title"`
	Description       string         `db:"description"`
	Category          string         `db:"category"`
	HPS               int64          `db:"hps"`
	HPSPublic         bool           `db:"hps_public"`
	KBLI              string         `db:"kbli"`
	ProcurementMethod string         `db:"procurement_method"`
	Evaluation        []byte         `db:"evaluation"`
	BidSecurityAmount int64          `db:"bid_security_amount"`
	BidPeriodStart    time.Time      `db:"bid_period_start"`
	BidDeadline       time.Time      `db:"bid_deadline"`
	ObjectionDays     int            `db:"objection_days"`
	MinBids           int            `db:"min_bids"`
	PublicKey         []byte         `db:"public_key"`
	WrappedKey        []byte         `db:"wrapped_key"`
	CreatedBy         string         `db:"created_by"`
	CreatedAt         time.Time      `db:"created_at"`
	PublishedAt       *time.Time     `db:"published_at"`
	OpeningStartedAt  *time.Time     `db:"opening_started_at"`
	ObjectionEndsAt   *time.Time     `db:"objection_ends_at"`
	Reason            string         `db:"reason"`
	EndedAt           *time.Time     `db:"ended_at"`
	Committee         pq.StringArray `db:"committee"`
}

const tenderColumns = `t.id, t.number, t.state, t.version, t.amendment, t.buyer_agency, t.title, t.description,
	t.category, t.hps, t.hps_public, t.kbli, t.procurement_method, t.evaluation, t.bid_security_amount,
	t.bid_period_start, t.bid_deadline, t.objection_days, t.min_bids, t.public_key, t.wrapped_key,
	t.created_by, t.created_at, t.published_at, t.opening_started_at, t.objection_ends_at, t.reason, t.ended_at,
	ARRAY(SELECT m.member FROM tender_committee m WHERE m.tender_id = t.id ORDER BY m.member) AS committee`

func (r tenderRow) tender() (*domain.Tender, error) {
	var ev domain.EvaluationTerms
	if err := json.Unmarshal(r.Evaluation, &ev); err != nil {
		return nil, fmt.Errorf("decode evaluation terms of tender %s: %w", r.ID, err)
	}
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.UTC()
		return &v
	}
	return &domain.Tender{
		ID: r.ID, Number: r.Number, State: domain.State(r.State), Version: r.Version, Amendment: r.Amendment,
		Terms: domain.Terms{
			BuyerAgency: r.BuyerAgency, Title: r.Title, Description: r.Description, Category: domain.Category(r.Category),
			HPS: r.HPS, HPSPublic: r.HPSPublic, KBLI: r.KBLI, ProcurementMethod: r.ProcurementMethod, Evaluation: ev,
			BidSecurityAmount: r.BidSecurityAmount, BidPeriodStart: r.BidPeriodStart.UTC(), BidDeadline: r.BidDeadline.UTC(),
			ObjectionDays: r.ObjectionDays, MinBids: r.MinBids, Committee: []string(r.Committee),
		},
		PublicKey: r.PublicKey, WrappedKey: r.WrappedKey, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(),
		PublishedAt: utc(r.PublishedAt), OpeningStartedAt: utc(r.OpeningStartedAt), ObjectionEndsAt: utc(r.ObjectionEndsAt),
		Reason: r.Reason, EndedAt: utc(r.EndedAt),
	}, nil
}

// snapshot is what the audit trail keeps of a tender before and after a
// change (never a key).
func snapshot(t *domain.Tender) map[string]any {
	return map[string]any{
		"state": t.State, "version": t.Version, "amendment": t.Amendment, "title": t.Title,
		"bid_period_start": t.BidPeriodStart, "bid_deadline": t.BidDeadline, "reason": t.Reason,
	}
}

func getTender(ctx context.Context, q sqlx.QueryerContext, id, lock string) (*domain.Tender, error) {
	var r tenderRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+tenderColumns+` FROM tender t WHERE t.id = $1 `+lock, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NoSuchTender()
	}
	if err != nil {
		return nil, fmt.Errorf("load tender %s: %w", id, err)
	}
	return r.tender()
}

// Tender returns one tender.
func (s *Store) Tender(ctx context.Context, id string) (*domain.Tender, error) {
	if !isUUID(id) {
		return nil, domain.NoSuchTender()
	}
	return getTender(ctx, s.db, id, "")
}

// NextTenderNumber returns a fresh human number, TND-<year>-<serial>.
// A sequence: gaps are allowed, no lock is shared.
func (s *Store) NextTenderNumber(ctx context.Context, now time.Time) (string, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT nextval('tender_number_seq')`); err != nil {
		return "", fmt.Errorf("next tender number: %w", err)
	}
	return fmt.Sprintf("TND-%d-%04d", now.Year(), n), nil
}

// CreateTender stores a new draft.
func (s *Store) CreateTender(ctx context.Context, t *domain.Tender, who app.Who, now time.Time) error {
	return dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		ev, err := json.Marshal(t.Evaluation)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO tender (id, number, state, version, amendment, buyer_agency, title, description, category,
				hps, hps_public, kbli, procurement_method, evaluation, bid_security_amount, bid_period_start,
				bid_deadline, objection_days, min_bids, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)`,
			t.ID, t.Number, t.State, t.Version, t.Amendment, t.BuyerAgency, t.Title, t.Description, t.Category,
			t.HPS, t.HPSPublic, t.KBLI, t.ProcurementMethod, ev, t.BidSecurityAmount, t.BidPeriodStart,
			t.BidDeadline, t.ObjectionDays, t.MinBids, t.CreatedBy, t.CreatedAt)
		if err != nil {
			return dbx.MapConstraint(fmt.Errorf("insert tender: %w", err), "the tender could not be stored")
		}
		if err := writeCommittee(ctx, tx, t); err != nil {
			return err
		}
		return record(ctx, tx, who, "tender", t.ID, tenderAggregate(t.ID), nil, snapshot(t),
			app.Effect{Action: "tender.create"}, now)
	})
}

func writeCommittee(ctx context.Context, tx *sqlx.Tx, t *domain.Tender) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM tender_committee WHERE tender_id = $1`, t.ID); err != nil {
		return fmt.Errorf("clear committee: %w", err)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO tender_committee (tender_id, member) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
		t.ID, pq.StringArray(t.Committee))
	if err != nil {
		return fmt.Errorf("write committee: %w", err)
	}
	return nil
}

// UpdateTender loads the tender FOR UPDATE, runs fn, and writes the tender,
// what fn reports, its events and the audit record, in one transaction.
// expectVersion > 0 refuses a stale version with PreconditionFailed.
func (s *Store) UpdateTender(ctx context.Context, id string, expectVersion int, who app.Who, now time.Time,
	fn func(t *domain.Tender, r app.Reader) (app.Change, error)) (*domain.Tender, error) {
	if !isUUID(id) {
		return nil, domain.NoSuchTender()
	}
	var out *domain.Tender
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, id, "FOR UPDATE OF t")
		if err != nil {
			return err
		}
		if expectVersion > 0 && t.Version != expectVersion {
			return apperr.New(apperr.PreconditionFailed, "the tender changed since you read it (version %d is now %d); reload and try again", expectVersion, t.Version)
		}
		before := snapshot(t)
		ch, err := fn(t, reader{ctx: ctx, tx: tx, tenderID: t.ID})
		if err != nil {
			return err
		}
		if err := writeTender(ctx, tx, t, now); err != nil {
			return err
		}
		if ch.CommitteeChanged {
			if err := writeCommittee(ctx, tx, t); err != nil {
				return err
			}
		}
		if err := writeAwardChanges(ctx, tx, t.ID, ch, who, now); err != nil {
			return err
		}
		if a := ch.Addendum; a != nil {
			terms, err := json.Marshal(publicTerms(a.Terms))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO addendum (tender_id, number, terms, deadline_extended, published_by, published_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, a.Number, terms, a.DeadlineExtended, who.Subject, now); err != nil {
				return fmt.Errorf("insert addendum: %w", err)
			}
		}
		out = t
		return record(ctx, tx, who, "tender", t.ID, tenderAggregate(t.ID), before, snapshot(t), ch.Effect, now)
	})
	return out, err
}

func writeTender(ctx context.Context, tx *sqlx.Tx, t *domain.Tender, now time.Time) error {
	if t.State.Terminal() && t.EndedAt == nil {
		t.EndedAt = &now
	}
	ev, err := json.Marshal(t.Evaluation)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE tender SET state = $2, version = $3, amendment = $4, buyer_agency = $5, title = $6, description = $7,
			category = $8, hps = $9, hps_public = $10, kbli = $11, procurement_method = $12, evaluation = $13,
			bid_security_amount = $14, bid_period_start = $15, bid_deadline = $16, objection_days = $17,
			min_bids = $18, public_key = $19, wrapped_key = $20, published_at = $21, opening_started_at = $22,
			objection_ends_at = $23, reason = $24, ended_at = $25
		WHERE id = $1`,
		t.ID, t.State, t.Version, t.Amendment, t.BuyerAgency, t.Title, t.Description, t.Category, t.HPS, t.HPSPublic,
		t.KBLI, t.ProcurementMethod, ev, t.BidSecurityAmount, t.BidPeriodStart, t.BidDeadline, t.ObjectionDays,
		t.MinBids, t.PublicKey, t.WrappedKey, t.PublishedAt, t.OpeningStartedAt, t.ObjectionEndsAt, t.Reason, t.EndedAt)
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("update tender %s: %w", t.ID, err), "the tender could not be stored")
	}
	return nil
}

// publicTerms is the terms as published (the HPS only when public).
func publicTerms(t domain.Terms) map[string]any {
	m := map[string]any{
		"buyer_agency": t.BuyerAgency, "title": t.Title, "description": t.Description, "category": t.Category,
		"kbli": t.KBLI, "procurement_method": t.ProcurementMethod, "evaluation": t.Evaluation,
		"bid_security_amount": t.BidSecurityAmount, "bid_period_start": t.BidPeriodStart,
		"bid_deadline": t.BidDeadline, "objection_days": t.ObjectionDays,
	}
	if t.HPSShownTo(domain.ActorOther) {
		m["hps"] = t.HPS
	}
	return m
}

// optional runs a query for at most one row: nil when there is none.
func optional[T any](ctx context.Context, q sqlx.QueryerContext, what, query string, args ...any) (*T, error) {
	var v T
	err := sqlx.GetContext(ctx, q, &v, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	return &v, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F'):
		default:
			return false
		}
	}
	return true
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return id.String(), nil
}
