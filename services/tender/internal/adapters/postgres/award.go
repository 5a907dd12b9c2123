package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// reader reads, inside an UpdateTender transaction, what a use case needs
// beside the tender row (app.Reader).
type reader struct {
	ctx      context.Context
	tx       *sqlx.Tx
	tenderID string
}

// OpenedBids returns the opening's outcome per bid, for the evaluation.
func (r reader) OpenedBids() ([]domain.OpenedBid, error) {
	var rows []openedBidRow
	err := r.tx.SelectContext(r.ctx, &rows, `SELECT `+openedBidColumns+`
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
func (r reader) Assessments() ([]domain.Assessment, error) {
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
func (r reader) Scores() ([]domain.MemberScore, error) {
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
func (r reader) Award() (*app.AwardFact, error) {
	a, err := optional[awardRow](r.ctx, r.tx, "award",
		`SELECT bid_id, vendor, price, proposed_at, announced_at, finalised_at FROM award WHERE tender_id = $1`, r.tenderID)
	if a == nil || err != nil {
		return nil, err
	}
	f := a.record().AwardFact
	return &f, nil
}

type awardRow struct {
	TenderID    string     `db:"tender_id"`
	BidID       string     `db:"bid_id"`
	Vendor      string     `db:"vendor"`
	Price       int64      `db:"price"`
	ProposedAt  time.Time  `db:"proposed_at"`
	AnnouncedAt *time.Time `db:"announced_at"`
	FinalisedAt *time.Time `db:"finalised_at"`
}

func (a awardRow) record() app.AwardRecord {
	return app.AwardRecord{AwardFact: app.AwardFact{BidID: a.BidID, Vendor: a.Vendor, Price: a.Price},
		ProposedAt: a.ProposedAt.UTC(), AnnouncedAt: a.AnnouncedAt, FinalisedAt: a.FinalisedAt}
}

type objectionRow struct {
	ID         string     `db:"id"`
	TenderID   string     `db:"tender_id"`
	Vendor     string     `db:"vendor"`
	FiledBy    string     `db:"filed_by"`
	Arguments  string     `db:"arguments"`
	Evidence   []byte     `db:"evidence"`
	FiledAt    time.Time  `db:"filed_at"`
	Answer     *string    `db:"answer"`
	Outcome    *string    `db:"outcome"`
	AnsweredAt *time.Time `db:"answered_at"`
}

type contractRow struct {
	ID       string    `db:"id"`
	TenderID string    `db:"tender_id"`
	Number   string    `db:"number"`
	Vendor   string    `db:"vendor"`
	Value    int64     `db:"value"`
	SignedAt time.Time `db:"signed_at"`
}

func writeAwardChanges(ctx context.Context, tx *sqlx.Tx, tenderID string, ch app.Change, who app.Who, now time.Time) error {
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
// scores, while the tender is in evaluation, each kind in one statement.
// check runs under the tender's key-share lock.
func (s *Store) SaveAssessment(ctx context.Context, tenderID string, who app.Who, now time.Time, check func(t *domain.Tender) error,
	assessments []domain.Assessment, scores []domain.MemberScore) error {
	if !isUUID(tenderID) {
		return domain.NoSuchTender()
	}
	type assessmentRow struct {
		BidID   string   `json:"bid_id"`
		Admin   bool     `json:"administrative_pass"`
		Tech    bool     `json:"technical_pass"`
		Reasons []string `json:"reasons"`
	}
	type scoreRow struct {
		BidID     string `json:"bid_id"`
		Criterion string `json:"criterion"`
		Points    int    `json:"points"`
	}
	// The last of a bid's assessments (and of a bid's scores for one
	// criterion) in one request wins, as it did row by row.
	as := lastOf(assessments, func(a domain.Assessment) string { return a.BidID }, func(a domain.Assessment) assessmentRow {
		return assessmentRow{BidID: a.BidID, Admin: a.AdministrativePass, Tech: a.TechnicalPass, Reasons: append([]string{}, a.Reasons...)}
	})
	ss := lastOf(scores, func(sc domain.MemberScore) string { return sc.BidID + "\x00" + sc.Criterion }, func(sc domain.MemberScore) scoreRow {
		return scoreRow{BidID: sc.BidID, Criterion: sc.Criterion, Points: sc.Points}
	})
	return dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, tenderID, "FOR KEY SHARE OF t")
		if err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		if len(as) > 0 {
			raw, err := json.Marshal(as)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `
				INSERT INTO assessment (tender_id, bid_id, administrative_pass, technical_pass, reasons, assessed_by)
				SELECT $1, x.bid_id, x.administrative_pass, x.technical_pass, x.reasons, $3
				FROM json_to_recordset($2::json) AS x(bid_id uuid, administrative_pass boolean, technical_pass boolean, reasons jsonb)
				WHERE EXISTS (SELECT 1 FROM opened_bid o WHERE o.tender_id = $1 AND o.bid_id = x.bid_id)
				ON CONFLICT (tender_id, bid_id) DO UPDATE SET administrative_pass = EXCLUDED.administrative_pass,
					technical_pass = EXCLUDED.technical_pass, reasons = EXCLUDED.reasons, assessed_by = EXCLUDED.assessed_by`,
				tenderID, string(raw), who.Subject)
			if err != nil {
				return dbx.MapConstraint(fmt.Errorf("store assessments: %w", err), "an assessment names an unknown bid")
			}
		}
		if len(ss) > 0 {
			raw, err := json.Marshal(ss)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `
				INSERT INTO member_score (tender_id, bid_id, member, criterion, points)
				SELECT $1, x.bid_id, $3, x.criterion, x.points
				FROM json_to_recordset($2::json) AS x(bid_id uuid, criterion text, points integer)
				WHERE EXISTS (SELECT 1 FROM opened_bid o WHERE o.tender_id = $1 AND o.bid_id = x.bid_id)
				ON CONFLICT (tender_id, bid_id, member, criterion) DO UPDATE SET points = EXCLUDED.points`,
				tenderID, string(raw), who.Subject)
			if err != nil {
				return dbx.MapConstraint(fmt.Errorf("store scores: %w", err), "a score is out of range or names an unknown bid")
			}
		}
		return record(ctx, tx, who, "tender", tenderID, tenderAggregate(tenderID), nil,
			map[string]any{"assessments": assessments, "scores": scores}, app.Effect{Action: "evaluation.score"}, now)
	})
}

// FileObjection stores a bidder's objection during the objection period;
// check runs on the tender under its key-share lock, and event gives the
// event the filing publishes.
func (s *Store) FileObjection(ctx context.Context, o app.Objection, who app.Who, check func(t *domain.Tender) error,
	event func(app.Objection) app.Event) (app.Objection, error) {
	if !isUUID(o.TenderID) {
		return app.Objection{}, domain.NoSuchTender()
	}
	ev, err := json.Marshal(append([]string{}, o.Evidence...))
	if err != nil {
		return app.Objection{}, err
	}
	err = dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, o.TenderID, "FOR KEY SHARE OF t")
		if err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		var bidder bool
		if err := tx.GetContext(ctx, &bidder, `SELECT EXISTS (SELECT 1 FROM opened_bid WHERE tender_id = $1 AND vendor = $2)`, o.TenderID, o.Vendor); err != nil {
			return fmt.Errorf("check bidder: %w", err)
		}
		if !bidder {
			return apperr.New(apperr.Forbidden, "only bidders of this tender may object to its award")
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO objection (id, tender_id, vendor, filed_by, arguments, evidence, filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			o.ID, o.TenderID, o.Vendor, o.FiledBy, o.Arguments, ev, o.FiledAt); err != nil {
			return fmt.Errorf("store objection: %w", err)
		}
		return record(ctx, tx, who, "objection", o.ID, tenderAggregate(o.TenderID), nil,
			map[string]any{"arguments": o.Arguments, "evidence": o.Evidence}, app.Effect{Action: "objection.file", Events: []app.Event{event(o)}}, o.FiledAt)
	})
	return o, err
}

// Objections lists a tender's objections.
func (s *Store) Objections(ctx context.Context, tenderID string) ([]app.Objection, error) {
	var rows []objectionRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT id, tender_id, vendor, filed_by, arguments, evidence, filed_at, answer, outcome, answered_at
		FROM objection WHERE tender_id = $1 ORDER BY filed_at, id`, tenderID)
	if err != nil {
		return nil, fmt.Errorf("list objections: %w", err)
	}
	out := make([]app.Objection, len(rows))
	for i, r := range rows {
		o := app.Objection{ID: r.ID, TenderID: r.TenderID, Vendor: r.Vendor, FiledBy: r.FiledBy, Arguments: r.Arguments,
			FiledAt: r.FiledAt.UTC(), Answer: r.Answer, Outcome: r.Outcome, AnsweredAt: r.AnsweredAt, Evidence: []string{}}
		if err := json.Unmarshal(r.Evidence, &o.Evidence); err != nil {
			return nil, fmt.Errorf("decode the evidence of objection %s: %w", r.ID, err)
		}
		out[i] = o
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

// OpenData reads the open data of tenders besides the tender rows: their
// addenda, openings (two queries), awards and contracts, five queries for
// any number of tenders.
func (s *Store) OpenData(ctx context.Context, tenderIDs []string) (map[string]app.OpenData, error) {
	out := make(map[string]app.OpenData, len(tenderIDs))
	if len(tenderIDs) == 0 {
		return out, nil
	}
	ids := pq.StringArray(tenderIDs)
	var addenda []struct {
		TenderID         string    `db:"tender_id"`
		Number           int       `db:"number"`
		PublishedAt      time.Time `db:"published_at"`
		DeadlineExtended bool      `db:"deadline_extended"`
	}
	if err := s.db.SelectContext(ctx, &addenda, `SELECT tender_id, number, published_at, deadline_extended FROM addendum
		WHERE tender_id = ANY($1::uuid[]) ORDER BY tender_id, number`, ids); err != nil {
		return nil, fmt.Errorf("list addenda: %w", err)
	}
	ops, err := openings(ctx, s.db, tenderIDs)
	if err != nil {
		return nil, err
	}
	var awards []awardRow
	if err := s.db.SelectContext(ctx, &awards, `SELECT tender_id, bid_id, vendor, price, proposed_at, announced_at, finalised_at
		FROM award WHERE tender_id = ANY($1::uuid[])`, ids); err != nil {
		return nil, fmt.Errorf("list awards: %w", err)
	}
	var contracts []contractRow
	if err := s.db.SelectContext(ctx, &contracts, `SELECT id, tender_id, number, vendor, value, signed_at
		FROM contract WHERE tender_id = ANY($1::uuid[])`, ids); err != nil {
		return nil, fmt.Errorf("list contracts: %w", err)
	}
	for _, id := range tenderIDs {
		out[id] = app.OpenData{Opening: ops[id]}
	}
	for _, a := range addenda {
		d := out[a.TenderID]
		d.Addenda = append(d.Addenda, app.AddendumInfo{Number: a.Number, PublishedAt: a.PublishedAt.UTC(), DeadlineExtended: a.DeadlineExtended})
		out[a.TenderID] = d
	}
	for _, a := range awards {
		d := out[a.TenderID]
		r := a.record()
		d.Award = &r
		out[a.TenderID] = d
	}
	for _, c := range contracts {
		d := out[c.TenderID]
		d.Contract = &app.Contract{ID: c.ID, TenderID: c.TenderID, Number: c.Number, Vendor: c.Vendor, Value: c.Value, SignedAt: c.SignedAt.UTC()}
		out[c.TenderID] = d
	}
	return out, nil
}

// lastOf maps items to rows, keeping the last item of each key, in the
// order the keys first appear.
func lastOf[T, R any](items []T, key func(T) string, row func(T) R) []R {
	at := map[string]int{}
	var out []R
	for _, it := range items {
		k := key(it)
		if i, ok := at[k]; ok {
			out[i] = row(it)
			continue
		}
		at[k] = len(out)
		out = append(out, row(it))
	}
	return out
}
