package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
)

type applicationRow struct {
	ID                  string         `db:"id"`
	BusinessID          string         `db:"business_id"`
	OwnerSubject        string         `db:"owner_subject"`
	KBLI                string         `db:"kbli"`
	Scale               string         `db:"scale"`
	Size                int64          `db:"size"`
	RenewalOf           sql.NullString `db:"renewal_of"`
	State               string         `db:"state"`
	Terms               []byte         `db:"terms"`
	SLADays             int            `db:"sla_days"`
	SLAUsedSeconds      int64          `db:"sla_used_seconds"`
	SLARunningSince     sql.NullTime   `db:"sla_running_since"`
	SLADueAt            sql.NullTime   `db:"sla_due_at"`
	Reason              string         `db:"reason"`
	RevisionRequirement string         `db:"revision_requirement"`
	RevisionNote        string         `db:"revision_note"`
	Revisions           []byte         `db:"revisions"`
	PaymentInvoiceID    string         `db:"payment_invoice_id"`
	SubmittedAt         sql.NullTime   `db:"submitted_at"`
	DecidedAt           sql.NullTime   `db:"decided_at"`
	Version             int            `db:"version"`
	CreatedAt           time.Time      `db:"created_at"`
	UpdatedAt           time.Time      `db:"updated_at"`
	// The holder, read with a locked application (holderColumns).
	HolderNIB  sql.NullString `db:"holder_nib"`
	HolderName sql.NullString `db:"holder_name"`
}

const applicationColumns = `id, business_id, owner_subject, kbli, scale, size, renewal_of, state, terms, sla_days,
	sla_used_seconds, sla_running_since, sla_due_at, reason, revision_requirement, revision_note, revisions, payment_invoice_id,
	submitted_at, decided_at, version, created_at, updated_at`

// holderColumns reads the business's NIB and name with an application
// locked FOR UPDATE, without locking the business row.
const holderColumns = `,
	(SELECT b.nib FROM business b WHERE b.id = application.business_id) AS holder_nib,
	(SELECT b.name FROM business b WHERE b.id = application.business_id) AS holder_name`

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

func (r applicationRow) domain() (app.ApplicationRecord, error) {
	a := domain.Application{
		ID: r.ID, BusinessID: r.BusinessID, OwnerSubject: r.OwnerSubject, KBLI: r.KBLI, Scale: domain.Scale(r.Scale),
		Size: r.Size, RenewalOf: r.RenewalOf.String, State: domain.State(r.State),
		SLA: domain.SLA{Days: r.SLADays, Used: time.Duration(r.SLAUsedSeconds) * time.Second,
			RunningSince: timePtr(r.SLARunningSince), DueAt: timePtr(r.SLADueAt)},
		Reason: r.Reason, RevisionRequirement: r.RevisionRequirement, RevisionNote: r.RevisionNote,
		SubmittedAt: timePtr(r.SubmittedAt), DecidedAt: timePtr(r.DecidedAt), Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if len(r.Revisions) > 0 {
		var docs []revisionDoc
		if err := json.Unmarshal(r.Revisions, &docs); err != nil {
			return app.ApplicationRecord{}, wrap(err, "revisions of application %s", r.ID)
		}
		a.Revisions = revisionsOf(docs)
	}
	if len(r.Terms) > 0 {
		var doc termsDoc
		if err := json.Unmarshal(r.Terms, &doc); err != nil {
			return app.ApplicationRecord{}, wrap(err, "terms of application %s", r.ID)
		}
		terms := doc.domain()
		a.Terms = &terms
	}
	rec := app.ApplicationRecord{Application: a, PaymentInvoiceID: r.PaymentInvoiceID}
	if r.HolderNIB.Valid {
		rec.Holder = domain.Business{ID: r.BusinessID, NIB: domain.NIB(r.HolderNIB.String), Name: r.HolderName.String, OwnerSubject: r.OwnerSubject}
	}
	return rec, nil
}

func termsJSON(t *domain.Terms) (any, error) {
	if t == nil {
		return nil, nil
	}
	b, err := json.Marshal(termsDocOf(*t))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func nullUUID(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertApplication stores a new draft with a fresh id.
func (t *Tx) InsertApplication(ctx context.Context, a domain.Application) (domain.Application, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return a, err
	}
	a.ID, a.Version = id.String(), 1
	terms, err := termsJSON(a.Terms)
	if err != nil {
		return a, err
	}
	_, err = t.tx.ExecContext(ctx, `
		INSERT INTO application (id, business_id, owner_subject, kbli, scale, size, renewal_of, state, terms, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $10)`,
		a.ID, a.BusinessID, a.OwnerSubject, a.KBLI, string(a.Scale), a.Size, nullUUID(a.RenewalOf), string(a.State), terms, a.CreatedAt)
	return a, wrap(err, "insert application")
}

// LockApplication selects an application FOR UPDATE; owner "" reads any
// (officers, the system), otherwise only the owner's (another's is NotFound).
func (t *Tx) LockApplication(ctx context.Context, id, owner string) (app.ApplicationRecord, error) {
	return getApplication(ctx, t.tx, id, owner, holderColumns, " FOR UPDATE")
}

// Application reads an application outside a transaction.
func (s *Store) Application(ctx context.Context, id, owner string) (app.ApplicationRecord, error) {
	return getApplication(ctx, s.db, id, owner, "", "")
}

func getApplication(ctx context.Context, q queryer, id, owner, extra, lock string) (app.ApplicationRecord, error) {
	if uuid.Validate(id) != nil {
		return app.ApplicationRecord{}, notFound("application", id)
	}
	var r applicationRow
	err := q.GetContext(ctx, &r, `SELECT `+applicationColumns+extra+` FROM application
		WHERE id = $1 AND ($2 = '' OR owner_subject = $2)`+lock, id, owner)
	if dbx.IsNoRows(err) {
		return app.ApplicationRecord{}, notFound("application", id)
	}
	if err != nil {
		return app.ApplicationRecord{}, wrap(err, "get application %s", id)
	}
	return r.domain()
}

// SaveApplication writes the application's state and bumps its version.
func (t *Tx) SaveApplication(ctx context.Context, a domain.Application, paymentInvoiceID string) error {
	terms, err := termsJSON(a.Terms)
	if err != nil {
		return err
	}
	revisions, err := json.Marshal(revisionDocs(a.Revisions))
	if err != nil {
		return wrap(err, "revisions of application %s", a.ID)
	}
	_, err = t.tx.ExecContext(ctx, `
		UPDATE application SET state = $2, terms = $3::jsonb, sla_days = $4, sla_used_seconds = $5, sla_running_since = $6,
			sla_due_at = $7, reason = $8, revision_requirement = $9, revision_note = $10, revisions = $15::jsonb,
			payment_invoice_id = $11, submitted_at = $12, decided_at = $13, updated_at = $14, version = version + 1
		WHERE id = $1`,
		a.ID, string(a.State), terms, a.SLA.Days, int64(a.SLA.Used/time.Second), nullTime(a.SLA.RunningSince),
		nullTime(a.SLA.DueAt), a.Reason, a.RevisionRequirement, a.RevisionNote, paymentInvoiceID,
		nullTime(a.SubmittedAt), nullTime(a.DecidedAt), a.UpdatedAt, revisions)
	return wrap(err, "save application %s", a.ID)
}

// Applications lists the owner's applications (all for owner ""), oldest first.
func (s *Store) Applications(ctx context.Context, owner string, p keyset.Page) ([]app.ApplicationRecord, string, error) {
	rows, next, err := ownedPage(ctx, s.db, `SELECT `+applicationColumns+` FROM application`, owner, p,
		func(r applicationRow) string { return r.ID })
	if err != nil {
		return nil, "", err
	}
	return applicationRecords(rows, next)
}

func applicationRecords(rows []applicationRow, next string) ([]app.ApplicationRecord, string, error) {
	out := make([]app.ApplicationRecord, len(rows))
	for i, r := range rows {
		a, err := r.domain()
		if err != nil {
			return nil, "", err
		}
		out[i] = a
	}
	return out, next, nil
}

// queueDue is the review queue's sort key: the SLA due date, with the
// applications paused for a revision (no due date) last. The expression is
// the one indexed by application_queue.
const queueDue = `COALESCE(sla_due_at, 'infinity'::timestamptz)`

// ReviewQueue lists the applications sel selects (the domain's review
// queue, narrowed by a filter), by SLA due date (those paused for a
// revision last). Each bound is one condition, dropped when its parameter
// is empty: the plan, made with the parameters' values, is a range scan of
// application_queue (or of application_queue_state, application_queue_kbli
// for one state or one KBLI) in the order of the page.
func (s *Store) ReviewQueue(ctx context.Context, sel domain.QueueSelection, p keyset.Page) ([]app.ApplicationRecord, string, error) {
	keys, err := p.After(2)
	if err != nil {
		return nil, "", err
	}
	afterDue, afterID := "-infinity", "00000000-0000-0000-0000-000000000000"
	if keys != nil {
		if _, err := time.Parse(time.RFC3339Nano, keys[0]); (err != nil && keys[0] != "infinity") || uuid.Validate(keys[1]) != nil {
			return nil, "", keyset.BadCursor()
		}
		afterDue, afterID = keys[0], keys[1]
	}
	var rows []applicationRow
	err = s.db.SelectContext(ctx, &rows, `SELECT `+applicationColumns+` FROM application
		WHERE state = ANY($4)
		  AND ($5::text = '' OR state = $5)
		  AND ($6::text = '' OR kbli = $6)
		  AND ($7::timestamptz IS NULL OR `+queueDue+` <= $7)
		  AND ($8::timestamptz IS NULL OR `+queueDue+` < $8)
		  AND (`+queueDue+`, id) > ($1::timestamptz, $2::uuid)
		ORDER BY `+queueDue+`, id LIMIT $3`, afterDue, afterID, p.Size()+1, stateArray(sel.States),
		string(sel.State), sel.KBLI, nullTime(sel.DueBy), nullTime(sel.DueBefore))
	if err != nil {
		return nil, "", wrap(err, "list review queue")
	}
	rows, next := keyset.Trim(rows, p, func(r applicationRow) []string {
		due := "infinity"
		if r.SLADueAt.Valid {
			due = r.SLADueAt.Time.UTC().Format(time.RFC3339Nano)
		}
		return []string{due, r.ID}
	})
	return applicationRecords(rows, next)
}

// CountReviewQueue counts the applications in states overdue at now and
// those due after now and before endOfToday, in one read: with the states
// whose clock runs (the deemable ones), an index-only scan of the range of
// application_overdue that ends at endOfToday.
func (s *Store) CountReviewQueue(ctx context.Context, states []domain.State, now, endOfToday time.Time) (domain.QueueCounts, error) {
	var c struct {
		Overdue  int `db:"overdue"`
		DueToday int `db:"due_today"`
	}
	err := s.db.GetContext(ctx, &c, `SELECT
			count(*) FILTER (WHERE sla_due_at <= $2) AS overdue,
			count(*) FILTER (WHERE sla_due_at > $2) AS due_today
		FROM application
		WHERE state = ANY($1) AND sla_due_at < $3`, stateArray(states), now, endOfToday)
	if err != nil {
		return domain.QueueCounts{}, wrap(err, "count review queue")
	}
	return domain.QueueCounts{DueToday: c.DueToday, Overdue: c.Overdue}, nil
}

// LockOverdue locks up to limit applications in states (the domain's
// deemable states) whose SLA ran out by now, skipping rows another
// scheduler holds.
func (t *Tx) LockOverdue(ctx context.Context, states []domain.State, now time.Time, limit int) ([]app.ApplicationRecord, error) {
	var rows []applicationRow
	err := t.tx.SelectContext(ctx, &rows, `SELECT `+applicationColumns+holderColumns+` FROM application
		WHERE state = ANY($3) AND sla_due_at <= $1
		ORDER BY sla_due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit, stateArray(states))
	if err != nil {
		return nil, wrap(err, "lock overdue applications")
	}
	out, _, err := applicationRecords(rows, "")
	return out, err
}

// stateArray passes states (of applications or licenses) to SQL as one
// text[] parameter: the states are the domain's, never literals in the SQL.
func stateArray[S ~string](states []S) pq.StringArray {
	out := make(pq.StringArray, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}

// Trail is the audit records of application id (its steps and its
// documents' uploads), in the order written.
func (s *Store) Trail(ctx context.Context, id string) ([]audit.Recorded, error) {
	return audit.Trail(ctx, s.db, "application", id)
}
