package app

import (
	"context"

	"gerbang/services/tender/internal/domain"
)

// OpenProcess is what the open-data feed publishes of one tender: nothing
// of a draft, the award only once announced.
type OpenProcess struct {
	Tender *domain.Tender
	OpenData
}

// OpenProcess gathers the open data of one published tender.
func (s *Service) OpenProcess(ctx context.Context, tenderID string) (OpenProcess, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return OpenProcess{}, err
	}
	if err := t.VisibleTo(domain.ActorOther); err != nil || t.PublishedAt == nil {
		return OpenProcess{}, domain.NoSuchTender()
	}
	ps, err := s.openProcesses(ctx, []*domain.Tender{t})
	if err != nil {
		return OpenProcess{}, err
	}
	return ps[0], nil
}

// OpenProcesses gathers the open data of a page of published tenders,
// newest first, in a fixed number of queries whatever the page's size.
func (s *Service) OpenProcesses(ctx context.Context, limit int, after *TenderCursor) ([]OpenProcess, *TenderCursor, error) {
	page, next, err := s.PublishedTenders(ctx, domain.TenderSearch{}, limit, after)
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.openProcesses(ctx, page)
	return ps, next, err
}

func (s *Service) openProcesses(ctx context.Context, tenders []*domain.Tender) ([]OpenProcess, error) {
	ids := make([]string, len(tenders))
	for i, t := range tenders {
		ids[i] = t.ID
	}
	data, err := s.store.OpenData(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]OpenProcess, len(tenders))
	for i, t := range tenders {
		d := data[t.ID]
		if d.Award != nil && d.Award.AnnouncedAt == nil {
			d.Award = nil // a proposed award is published once announced
		}
		out[i] = OpenProcess{Tender: t, OpenData: d}
	}
	return out, nil
}
