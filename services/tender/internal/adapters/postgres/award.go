package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/domain"
)

// Reader reads, inside an UpdateTender transaction, what a use case needs
// beside the tender row.
type Reader struct {
	ctx      context.Context
	tx       *sqlx.Tx
	tenderID string
}

// OpenedBids returns the opening's outcome per bid, for the evaluation.
func (r Reader) OpenedBids() ([]domain.OpenedBid, error) {
	var rows []OpenedBid
	err := r.tx.SelectContext(r.ctx, &rows, `
		SELECT bid_id, vendor, submitted_at, price, technical_offer, decrypt_error, disqualified, documents
		FROM opened_bid WHERE tender_id = $1 ORDER BY submitted_at, bid_id`, r.tenderID)
	if err != nil {
		return nil, fmt.Errorf("load opened bids: %w", err)
	}
	out := make([]domain.OpenedBid, 0, len(rows))
	for _, b := range rows {
		o := domain.OpenedBid{BidID: b.BidID, Vendor: b.Vendor, SubmittedAt: b.SubmittedAt.UTC(), Disqualified: b.Disqualified}
		if b.Price != nil {
			o.Price = *b.Price
		}
		out = append(out, o)
	}
	return out, nil
}

// Assessments returns the recorded pass/fail of each bid.
func (r Reader) Assessments() ([]domain.Assessment, error) {
	var rows []struct {
		BidID   string `db:"bid_id"`
		Admin   bool   `db:"administrative_pass"`
		Tech    bool   `db:"technical_pass"`
		Reasons []byte `db:"reasons"`
	}
	if err := r.tx.SelectContext(r.ctx, &rows, `SELECT bid_id, administrative_pass, technical_pass, reasons FROM assessment WHERE tender_id = $1`, r.tenderID); err != nil {
		return nil, fmt.Errorf("load assessments: %w", err)
	}
	out := make([]domain.Assessment, 0, len(rows))
	for _, a := range rows {
		d := domain.Assessment{BidID: a.BidID, AdministrativePass: a.Admin, TechnicalPass: a.Tech}
		if err := json.Unmarshal(a.Reasons, &d.Reasons); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Scores returns every member's points.
func (r Reader) Scores() ([]domain.MemberScore, error) {
	var rows []struct {
		Member    string `db:"member"`
		BidID     string `db:"bid_id"`
		Criterion string `db:"criterion"`
		Points    int    `db:"points"`
	}
	err := r.tx.SelectContext(r.ctx, &rows, `SELECT member, bid_id, criterion, points FROM member_score WHERE tender_id = $1`, r.tenderID)
	if err != nil {
		return nil, fmt.Errorf("load scores: %w", err)
	}
	out := make([]domain.MemberScore, len(rows))
	for i, s := range rows {
		out[i] = domain.MemberScore{Member: s.Member, BidID: s.BidID, Criterion: s.Criterion, Points: s.Points}
	}
	return out, nil
}

// Award returns the proposed award, if any.
func (r Reader) Award() (*AwardFact, error) {
	return optional[AwardFact](r.ctx, r.tx, "award", `SELECT bid_id, vendor, price FROM award WHERE tender_id = $1`, r.tenderID)
}

// Objection is an objection (sanggah) against a proposed award.
type Objection struct {
	ID         string     `db:"id" json:"id"`
	TenderID   string     `db:"tender_id" json:"tender_id"`
	Vendor     string     `db:"vendor" json:"vendor"`
	Arguments  string     `db:"arguments" json:"arguments"`
	Evidence   []byte     `db:"evidence" json:"-"`
	FiledAt    time.Time  `db:"filed_at" json:"filed_at"`
	Answer     *string    `db:"answer" json:"answer"`
	Outcome    *string    `db:"outcome" json:"outcome"`
	AnsweredAt *time.Time `db:"answered_at" json:"answered_at"`
}

// ObjectionAnswer is the committee's answer to one objection.
type ObjectionAnswer struct {
	ID      string
	Answer  string
	Outcome string // rejected, upheld_reevaluate, upheld_fail
}

// Contract is the contract record of an awarded tender.
type Contract struct {
	ID       string    `db:"id" json:"id"`
	TenderID string    `db:"tender_id" json:"tender_id"`
	Number   string    `db:"number" json:"number"`
	Vendor   string    `db:"vendor" json:"vendor"`
	Value    int64     `db:"value" json:"value"`
	SignedAt time.Time `db:"signed_at" json:"signed_at"`
}

func writeAwardChanges(ctx context.Context, tx *sqlx.Tx, tenderID string, ch Change, who Who, now time.Time) error {
	if ch.Evaluation != nil {
		res, err := json.Marshal(ch.Evaluation)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO evaluation (tender_id, result, evaluated_by, evaluated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tender_id) DO UPDATE SET result = EXCLUDED.result, evaluated_by = EXCLUDED.evaluated_by, evaluated_at = EXCLUDED.evaluated_at`,
			tenderID, res, who.Subject, now); err != nil {
			return fmt.Errorf("store evaluation: %w", err)
		}
	}
	if a := ch.Award; a != nil {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO award (tender_id, bid_id, vendor, price, proposed_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tender_id) DO UPDATE SET bid_id = EXCLUDED.bid_id, vendor = EXCLUDED.vendor, price = EXCLUDED.price,
				proposed_at = EXCLUDED.proposed_at, announced_at = NULL, finalised_at = NULL`,
			tenderID, a.BidID, a.Vendor, a.Price, now); err != nil {
			return fmt.Errorf("store award: %w", err)
		}
	}
	if ch.AwardAnnounced {
		if _, err := tx.ExecContext(ctx, `UPDATE award SET announced_at = $2 WHERE tender_id = $1`, tenderID, now); err != nil {
			return fmt.Errorf("announce award: %w", err)
		}
	}
	if o := ch.ObjectionAnswer; o != nil {
		res, err := tx.ExecContext(ctx, `
			UPDATE objection SET answer = $3, outcome = $4, answered_by = $5, answered_at = $6
			WHERE id = $1 AND tender_id = $2 AND answered_at IS NULL`, o.ID, tenderID, o.Answer, o.Outcome, who.Subject, now)
		if err != nil {
			return fmt.Errorf("answer objection: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "no unanswered objection with this id on this tender")
		}
	}
	if c := ch.Contract; c != nil {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO contract (id, tender_id, number, vendor, value, signed_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, tenderID, c.Number, c.Vendor, c.Value, c.SignedAt, who.Subject); err != nil {
			return dbx.MapConstraint(fmt.Errorf("store contract: %w", err), "this tender already has a contract")
		}
	}
	return nil
}

// SaveAssessment stores the committee's evaluation inputs: assessments
// (pass/fail with reasons, replacing earlier ones) and the caller's own
// scores, while the tender is in evaluation. check runs under the tender's
// key-share lock.
func (s *Store) SaveAssessment(ctx context.Context, tenderID string, who Who, now time.Time, check func(t *domain.Tender) error,
	assessments []domain.Assessment, scores []domain.MemberScore) error {
	if !isUUID(tenderID) {
		return apperr.New(apperr.NotFound, "no such tender")
	}
	return dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, tenderID, "FOR KEY SHARE OF t")
		if err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		for _, a := range assessments {
			reasons, _ := json.Marshal(append([]string{}, a.Reasons...))
			_, err := tx.ExecContext(ctx, `
				INSERT INTO assessment (tender_id, bid_id, administrative_pass, technical_pass, reasons, assessed_by)
				SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM opened_bid WHERE tender_id = $1 AND bid_id = $2)
				ON CONFLICT (tender_id, bid_id) DO UPDATE SET administrative_pass = EXCLUDED.administrative_pass,
					technical_pass = EXCLUDED.technical_pass, reasons = EXCLUDED.reasons, assessed_by = EXCLUDED.assessed_by`,
				tenderID, a.BidID, a.AdministrativePass, a.TechnicalPass, reasons, who.Subject)
			if err != nil {
				return dbx.MapConstraint(fmt.Errorf("store assessment: %w", err), "an assessment names an unknown bid")
			}
		}
		for _, sc := range scores {
			_, err := tx.ExecContext(ctx, `
				INSERT INTO member_score (tender_id, bid_id, member, criterion, points)
				SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM opened_bid WHERE tender_id = $1 AND bid_id = $2)
				ON CONFLICT (tender_id, bid_id, member, criterion) DO UPDATE SET points = EXCLUDED.points`,
				tenderID, sc.BidID, who.Subject, sc.Criterion, sc.Points)
			if err != nil {
				return dbx.MapConstraint(fmt.Errorf("store score: %w", err), "a score is out of range or names an unknown bid")
			}
		}
		return record(ctx, tx, who, "tender", tenderID, tenderAggregate(tenderID), nil,
			map[string]any{"assessments": assessments, "scores": scores}, Effect{Action: "evaluation.score"}, now)
	})
}

// FileObjection stores a bidder's objection during the objection period.
func (s *Store) FileObjection(ctx context.Context, tenderID, vendor, arguments string, evidence []string, who Who, now time.Time,
	check func(t *domain.Tender) error) (Objection, error) {
	if !isUUID(tenderID) {
		return Objection{}, apperr.New(apperr.NotFound, "no such tender")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Objection{}, err
	}
	ev, _ := json.Marshal(append([]string{}, evidence...))
	o := Objection{ID: id.String(), TenderID: tenderID, Vendor: vendor, Arguments: arguments, Evidence: ev, FiledAt: now}
	err = dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, tenderID, "FOR KEY SHARE OF t")
		if err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		var bidder bool
		if err := tx.GetContext(ctx, &bidder, `SELECT EXISTS (SELECT 1 FROM opened_bid WHERE tender_id = $1 AND vendor = $2)`, tenderID, vendor); err != nil {
			return fmt.Errorf("check bidder: %w", err)
		}
		if !bidder {
			return apperr.New(apperr.Forbidden, "only bidders of this tender may object to its award")
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO objection (id, tender_id, vendor, filed_by, arguments, evidence, filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			o.ID, tenderID, vendor, who.Subject, arguments, ev, now); err != nil {
			return fmt.Errorf("store objection: %w", err)
		}
		return record(ctx, tx, who, "objection", o.ID, tenderAggregate(tenderID), nil,
			map[string]any{"arguments": arguments, "evidence": evidence}, Effect{Action: "objection.file", Events: []Event{{
				Type: "tender.objection.filed", Data: map[string]any{"objection_id": o.ID, "tender_id": tenderID, "vendor": vendor, "filed_at": now},
			}}}, now)
	})
	return o, err
}

// Objections lists a tender's objections.
func (s *Store) Objections(ctx context.Context, tenderID string) ([]Objection, error) {
	out := []Objection{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT id, tender_id, vendor, arguments, evidence, filed_at, answer, outcome, answered_at
		FROM objection WHERE tender_id = $1 ORDER BY filed_at, id`, tenderID)
	if err != nil {
		return nil, fmt.Errorf("list objections: %w", err)
	}
	return out, nil
}

// Evaluation returns a tender's stored evaluation result.
func (s *Store) Evaluation(ctx context.Context, tenderID string) (*domain.Result, error) {
	raw, err := optional[[]byte](ctx, s.db, "evaluation", `SELECT result FROM evaluation WHERE tender_id = $1`, tenderID)
	if raw == nil || err != nil {
		return nil, err
	}
	var r domain.Result
	if err := json.Unmarshal(*raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ContractOf returns a tender's contract, if any.
func (s *Store) ContractOf(ctx context.Context, tenderID string) (*Contract, error) {
	return optional[Contract](ctx, s.db, "contract",
		`SELECT id, tender_id, number, vendor, value, signed_at FROM contract WHERE tender_id = $1`, tenderID)
}

// AwardOf returns a tender's award with its dates, if any.
func (s *Store) AwardOf(ctx context.Context, tenderID string) (*AwardRecord, error) {
	return optional[AwardRecord](ctx, s.db, "award",
		`SELECT bid_id, vendor, price, proposed_at, announced_at, finalised_at FROM award WHERE tender_id = $1`, tenderID)
}

// AwardRecord is an award with its dates.
type AwardRecord struct {
	AwardFact
	ProposedAt  time.Time  `db:"proposed_at"`
	AnnouncedAt *time.Time `db:"announced_at"`
	FinalisedAt *time.Time `db:"finalised_at"`
}

// AddendumInfo is a published addendum, as the open data shows it.
type AddendumInfo struct {
	Number           int       `db:"number"`
	PublishedAt      time.Time `db:"published_at"`
	DeadlineExtended bool      `db:"deadline_extended"`
}

// Addenda lists a tender's addenda in order.
func (s *Store) Addenda(ctx context.Context, tenderID string) ([]AddendumInfo, error) {
	out := []AddendumInfo{}
	err := s.db.SelectContext(ctx, &out, `SELECT number, published_at, deadline_extended FROM addendum WHERE tender_id = $1 ORDER BY number`, tenderID)
	if err != nil {
		return nil, fmt.Errorf("list addenda: %w", err)
	}
	return out, nil
}
