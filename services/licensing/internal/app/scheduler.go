package app

import (
	"context"
	"time"

	"gerbang/pkg/audit"
	"gerbang/pkg/journal"
	"gerbang/services/licensing/internal/domain"
)

// schedulerBatch is how many rows one scheduler transaction takes.
const schedulerBatch = 100

// inBatches runs job in transactions, each taking up to schedulerBatch
// rows, until one takes fewer; it returns how many rows were handled.
func (s *Service) inBatches(ctx context.Context, job func(tx Tx, now time.Time) (int, error)) (int, error) {
	total := 0
	for {
		n := 0
		err := s.store.InTx(ctx, func(tx Tx) error {
			var err error
			n, err = job(tx, s.clock.Now())
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < schedulerBatch {
			return total, nil
		}
	}
}

// DeemApproveOverdue applies the fiktif-positif rule to applications whose
// SLA has run out: each is deemed approved, with an audit record naming the
// rule, and issued or sent to payment. Rows are taken FOR UPDATE SKIP
// LOCKED, so schedulers in several instances never act twice on one. It
// returns how many it deemed approved.
func (s *Service) DeemApproveOverdue(ctx context.Context) (int, error) {
	cal, err := s.Calendar(ctx)
	if err != nil {
		return 0, err
	}
	return s.inBatches(ctx, func(tx Tx, now time.Time) (int, error) {
		recs, err := tx.LockOverdue(ctx, domain.DeemableStates(), now, schedulerBatch)
		if err != nil {
			return 0, err
		}
		for i := range recs {
			rec := &recs[i]
			before := rec.Application
			steps, err := rec.DeemApprove(now, cal)
			if err != nil {
				return 0, err
			}
			if err := s.record(ctx, tx, before, rec, steps, who{subject: "system:fiktif-positif"}); err != nil {
				return 0, err
			}
		}
		return len(recs), nil
	})
}

// ExpireLicenses marks licenses whose validity ended as expired and
// publishes licensing.license.expired, FOR UPDATE SKIP LOCKED.
func (s *Service) ExpireLicenses(ctx context.Context) (int, error) {
	return s.inBatches(ctx, func(tx Tx, now time.Time) (int, error) {
		ls, err := tx.LockExpiring(ctx, domain.ExpirableStatuses(), now, schedulerBatch)
		if err != nil {
			return 0, err
		}
		for _, l := range ls {
			if err := s.changeLicense(ctx, tx, l, domain.LicenseExpire, who{subject: "system:license-expiry"}, "validity ended", now); err != nil {
				return 0, err
			}
		}
		return len(ls), nil
	})
}

// ReminderLead is how long before its expiry a license's holder is
// reminded to renew it.
const ReminderLead = 30 * 24 * time.Hour

// RemindExpiring publishes licensing.license.expiring once for each active
// license that ends within ReminderLead, FOR UPDATE SKIP LOCKED.
func (s *Service) RemindExpiring(ctx context.Context) (int, error) {
	return s.inBatches(ctx, func(tx Tx, now time.Time) (int, error) {
		ls, err := tx.LockToRemind(ctx, domain.RemindableStatuses(), now.Add(ReminderLead), schedulerBatch)
		if err != nil {
			return 0, err
		}
		for _, l := range ls {
			if err := tx.MarkReminded(ctx, l.ID, now); err != nil {
				return 0, err
			}
			reason := "expires on " + l.ValidUntil.In(domain.Jakarta()).Format("2006-01-02") + "; apply for renewal"
			if err := tx.Audit(ctx, audit.Entry{
				Actor: "system:expiry-reminder", Action: "license.remind", EntityType: "license", EntityID: l.ID,
				After: map[string]any{"reminded_at": rfc3339(now)}, At: now, Reason: reason,
			}); err != nil {
				return 0, err
			}
			if err := tx.Publish(ctx, journal.Event{Type: SubjectLicenseExpiring, Subject: l.ID, Aggregate: "license/" + l.ID,
				Data: licenseMoved(l.License, reason, now), At: now}); err != nil {
				return 0, err
			}
		}
		return len(ls), nil
	})
}

// RunScheduler runs the deemed-approval, reminder and expiry jobs every
// interval until ctx is done.
func (s *Service) RunScheduler(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.DeemApproveOverdue(ctx); err != nil {
			s.log.WarnContext(ctx, "deemed approval run failed", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "applications deemed approved", "count", n)
		}
		if n, err := s.RemindExpiring(ctx); err != nil {
			s.log.WarnContext(ctx, "expiry reminder run failed", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "holders reminded of expiring licenses", "count", n)
		}
		if n, err := s.ExpireLicenses(ctx); err != nil {
			s.log.WarnContext(ctx, "license expiry run failed", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "licenses expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// licenseEventOf names the event of a license status change.
func licenseEventOf(a domain.LicenseAction) string {
	return map[domain.LicenseAction]string{
		domain.LicenseSuspend: SubjectLicenseSuspended, domain.LicenseReinstate: SubjectLicenseReinstated,
		domain.LicenseRevoke: SubjectLicenseRevoked, domain.LicenseExpire: SubjectLicenseExpired,
	}[a]
}

// changeLicense moves a locked license, with its event and audit record.
func (s *Service) changeLicense(ctx context.Context, tx Tx, l LicenseRecord, action domain.LicenseAction, w who, reason string, now time.Time) error {
	to, err := domain.NextLicenseStatus(l.Status, action)
	if err != nil {
		return err
	}
	from := l.Status
	if err := tx.SetLicenseStatus(ctx, l.ID, to, reason, now); err != nil {
		return err
	}
	l.Status = to
	if err := tx.Audit(ctx, audit.Entry{
		Actor: w.subject, ActorRoles: w.roles, Action: "license." + string(action), EntityType: "license", EntityID: l.ID,
		Before: map[string]any{"status": from}, After: map[string]any{"status": to}, RequestID: w.requestID, At: now, Reason: reason,
	}); err != nil {
		return err
	}
	return tx.Publish(ctx, journal.Event{Type: licenseEventOf(action), Subject: l.ID, Aggregate: "license/" + l.ID,
		Data: licenseMoved(l.License, reason, now), At: now})
}
