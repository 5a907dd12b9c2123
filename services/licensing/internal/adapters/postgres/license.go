package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/dbx"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
)

type licenseRow struct {
	ID            string       `db:"id"`
	Number        string       `db:"number"`
	ApplicationID string       `db:"application_id"`
	BusinessID    string       `db:"business_id"`
	OwnerSubject  string       `db:"owner_subject"`
	HolderName    string       `db:"holder_name"`
	NIB           string       `db:"nib"`
	KBLI          string       `db:"kbli"`
	LicenseType   string       `db:"license_type"`
	LicenseName   string       `db:"license_name"`
	Risk          string       `db:"risk"`
	IssuedAt      time.Time    `db:"issued_at"`
	ValidFrom     time.Time    `db:"valid_from"`
	ValidUntil    sql.NullTime `db:"valid_until"`
	Status        string       `db:"status"`
	StatusReason  string       `db:"status_reason"`
}

const licenseColumns = `id, number, application_id, business_id, owner_subject, holder_name, nib, kbli, license_type,
	license_name, risk, issued_at, valid_from, valid_until, status, status_reason`

func (r licenseRow) domain() app.LicenseRecord {
	return app.LicenseRecord{License: domain.License{
		ID: r.ID, Number: r.Number, ApplicationID: r.ApplicationID, BusinessID: r.BusinessID, OwnerSubject: r.OwnerSubject,
		HolderName: r.HolderName, NIB: domain.NIB(r.NIB), KBLI: r.KBLI, LicenseType: r.LicenseType, LicenseName: r.LicenseName,
		Risk: domain.RiskLevel(r.Risk), IssuedAt: r.IssuedAt.UTC(), ValidFrom: r.ValidFrom.UTC(), ValidUntil: timePtr(r.ValidUntil),
		Status: domain.LicenseStatus(r.Status),
	}, StatusReason: r.StatusReason}
}

// NextLicenseSerial draws the next serial of license numbers.
func (t *Tx) NextLicenseSerial(ctx context.Context) (int64, error) {
	var n int64
	err := t.tx.GetContext(ctx, &n, `SELECT nextval('license_serial')`)
	return n, wrap(err, "next license serial")
}

// InsertLicense stores an issued license with a fresh id. An application
// has at most one license (UNIQUE application_id).
func (t *Tx) InsertLicense(ctx context.Context, l domain.License) (domain.License, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return l, err
	}
	l.ID = id.String()
	_, err = t.tx.ExecContext(ctx, `
		INSERT INTO license (`+licenseColumns+`, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '', $12)`,
		l.ID, l.Number, l.ApplicationID, l.BusinessID, l.OwnerSubject, l.HolderName, string(l.NIB), l.KBLI, l.LicenseType,
		l.LicenseName, string(l.Risk), l.IssuedAt, l.ValidFrom, nullTime(l.ValidUntil), string(l.Status))
	if err != nil {
		return l, dbx.MapConstraint(wrap(err, "insert license"), "this application already has a license")
	}
	return l, nil
}

// LicenseOfApplication returns the license an application led to.
func (s *Store) LicenseOfApplication(ctx context.Context, applicationID string) (app.LicenseRecord, error) {
	var r licenseRow
	err := s.db.GetContext(ctx, &r, `SELECT `+licenseColumns+` FROM license WHERE application_id = $1`, applicationID)
	if dbx.IsNoRows(err) {
		return app.LicenseRecord{}, notFound("license of application", applicationID)
	}
	if err != nil {
		return app.LicenseRecord{}, wrap(err, "get license of application %s", applicationID)
	}
	return r.domain(), nil
}

// LicenseByNumber returns a license by its public number.
func (s *Store) LicenseByNumber(ctx context.Context, number string) (app.LicenseRecord, error) {
	var r licenseRow
	err := s.db.GetContext(ctx, &r, `SELECT `+licenseColumns+` FROM license WHERE number = $1`, number)
	if dbx.IsNoRows(err) {
		return app.LicenseRecord{}, notFound("license", number)
	}
	if err != nil {
		return app.LicenseRecord{}, wrap(err, "get license %s", number)
	}
	return r.domain(), nil
}

// Licenses lists the owner's licenses (all for owner ""), oldest first.
func (s *Store) Licenses(ctx context.Context, owner string, p keyset.Page) ([]app.LicenseRecord, string, error) {
	rows, next, err := ownedPage(ctx, s.db, `SELECT `+licenseColumns+` FROM license`, owner, p,
		func(r licenseRow) string { return r.ID })
	if err != nil {
		return nil, "", err
	}
	return licenseRecords(rows), next, nil
}

// LockExpiring locks up to limit licenses in statuses (the domain's
// expirable ones) whose validity ended by now, skipping rows another
// scheduler holds.
func (t *Tx) LockExpiring(ctx context.Context, statuses []domain.LicenseStatus, now time.Time, limit int) ([]app.LicenseRecord, error) {
	var rows []licenseRow
	err := t.tx.SelectContext(ctx, &rows, `SELECT `+licenseColumns+` FROM license
		WHERE status = ANY($3) AND valid_until <= $1
		ORDER BY valid_until, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit, stateArray(statuses))
	if err != nil {
		return nil, wrap(err, "lock expiring licenses")
	}
	return licenseRecords(rows), nil
}

// LockLicense selects a license FOR UPDATE by id.
func (t *Tx) LockLicense(ctx context.Context, id string) (app.LicenseRecord, error) {
	if uuid.Validate(id) != nil {
		return app.LicenseRecord{}, notFound("license", id)
	}
	var r licenseRow
	err := t.tx.GetContext(ctx, &r, `SELECT `+licenseColumns+` FROM license WHERE id = $1 FOR UPDATE`, id)
	if dbx.IsNoRows(err) {
		return app.LicenseRecord{}, notFound("license", id)
	}
	if err != nil {
		return app.LicenseRecord{}, wrap(err, "lock license %s", id)
	}
	return r.domain(), nil
}

// SetLicenseStatus writes a license's status and the reason for it.
func (t *Tx) SetLicenseStatus(ctx context.Context, id string, status domain.LicenseStatus, reason string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE license SET status = $2, status_reason = $3, updated_at = $4, version = version + 1 WHERE id = $1`,
		id, string(status), reason, now)
	return wrap(err, "set status of license %s", id)
}

// LockToRemind locks up to limit licenses in statuses (the domain's
// remindable ones) expiring by before whose holder was not reminded yet,
// skipping rows another scheduler holds.
func (t *Tx) LockToRemind(ctx context.Context, statuses []domain.LicenseStatus, before time.Time, limit int) ([]app.LicenseRecord, error) {
	var rows []licenseRow
	err := t.tx.SelectContext(ctx, &rows, `SELECT `+licenseColumns+` FROM license
		WHERE status = ANY($3) AND reminded_at IS NULL AND valid_until <= $1
		ORDER BY valid_until, id LIMIT $2 FOR UPDATE SKIP LOCKED`, before, limit, stateArray(statuses))
	if err != nil {
		return nil, wrap(err, "lock licenses to remind")
	}
	return licenseRecords(rows), nil
}

// MarkReminded records that a license's holder was reminded.
func (t *Tx) MarkReminded(ctx context.Context, id string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE license SET reminded_at = $2 WHERE id = $1`, id, now)
	return wrap(err, "mark license %s reminded", id)
}

func licenseRecords(rows []licenseRow) []app.LicenseRecord {
	out := make([]app.LicenseRecord, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out
}
