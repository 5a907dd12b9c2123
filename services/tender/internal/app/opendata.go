package app

import (
	"context"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ocds"
)

// OCDSProcess gathers what the open-data feed publishes of one tender:
// nothing of a draft, the award only once announced.
func (s *Service) OCDSProcess(ctx context.Context, tenderID string) (ocds.Process, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return ocds.Process{}, err
	}
	if t.State == domain.StateDraft || t.PublishedAt == nil {
		return ocds.Process{}, apperr.New(apperr.NotFound, "no such tender")
	}
	pr := ocds.Process{Tender: t}
	addenda, err := s.store.Addenda(ctx, t.ID)
	if err != nil {
		return ocds.Process{}, err
	}
	for _, a := range addenda {
		pr.Addenda = append(pr.Addenda, ocds.Addendum{Number: a.Number, At: a.PublishedAt.UTC(), DeadlineExtended: a.DeadlineExtended})
	}
	if op, err := s.store.OpeningRecord(ctx, t.ID); err == nil {
		o := &ocds.Opening{At: op.OpenedAt.UTC()}
		for _, b := range op.Bids {
			o.Tenderers = append(o.Tenderers, b.Vendor)
		}
		pr.Opening = o
	} else if !apperr.Is(err, apperr.NotFound) {
		return ocds.Process{}, err
	}
	a, err := s.store.AwardOf(ctx, t.ID)
	if err != nil {
		return ocds.Process{}, err
	}
	if a != nil && a.AnnouncedAt != nil {
		pr.Award = &ocds.Award{BidID: a.BidID, Vendor: a.Vendor, Value: a.Price, AnnouncedAt: a.AnnouncedAt, FinalisedAt: a.FinalisedAt}
	}
	c, err := s.store.ContractOf(ctx, t.ID)
	if err != nil {
		return ocds.Process{}, err
	}
	if c != nil {
		pr.Contract = &ocds.Contract{ID: c.ID, Number: c.Number, Vendor: c.Vendor, Value: c.Value, SignedAt: c.SignedAt.UTC()}
	}
	return pr, nil
}
