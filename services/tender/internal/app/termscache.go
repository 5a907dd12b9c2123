package app

import (
	"context"
	"sync"
	"time"

	"gerbang/services/tender/internal/domain"
)

// bidTermsTTL is how long a tender's bid terms are reused for the bids
// that follow: a bid rush reads them about once a second, not once a bid.
const bidTermsTTL = time.Second

// maxCachedTerms bounds the cache; beyond it, expired entries are dropped.
const maxCachedTerms = 1024

// bidTermsCache keeps each tender's bid terms (state, bid period, public
// key, amendment, bid security) for bidTermsTTL. Nothing it holds decides
// on its own: the bid's statement checks the tender again (a tender whose
// terms changed stores nothing there, and the bid goes through the general
// transaction), and a bid the cached terms would refuse is judged on terms
// read afresh. The public key, which the cache does supply, never changes
// once a tender is published (drafts are never cached).
type bidTermsCache struct {
	mu      sync.Mutex
	entries map[string]cachedTerms
}

type cachedTerms struct {
	terms *domain.Tender
	until time.Time // by the process's monotonic clock, not the service clock
}

func (c *bidTermsCache) get(ctx context.Context, id string, load func(context.Context, string) (*domain.Tender, error)) (*domain.Tender, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.terms, nil
	}
	t, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedTerms{}
	}
	if len(c.entries) >= maxCachedTerms {
		for k, v := range c.entries {
			if !now.Before(v.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedTerms {
			clear(c.entries)
		}
	}
	c.entries[id] = cachedTerms{terms: t, until: now.Add(bidTermsTTL)}
	return t, nil
}
