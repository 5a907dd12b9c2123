package domain

import (
	"errors"
	"testing"

	"gerbang/pkg/apperr"
)

func TestAmountsHaveUpperBounds(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(*Terms)
		field string
	}{
		{"HPS at the bound", func(x *Terms) { x.HPS = MaxHPS }, ""},
		{"HPS above the bound", func(x *Terms) { x.HPS = MaxHPS + 1 }, "hps"},
		{"bid security at the bound", func(x *Terms) { x.BidSecurityAmount = MaxBidSecurity }, ""},
		{"bid security above the bound", func(x *Terms) { x.BidSecurityAmount = MaxBidSecurity + 1 }, "bid_security_amount"},
	} {
		terms := validTerms()
		terms.ObjectionDays, terms.MinBids = 5, 1 // NewTender's defaults
		tt.edit(&terms)
		err := terms.Validate()
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v %+v, want accepted", tt.name, err, err.(*apperr.Error).Fields)
			}
			continue
		}
		if err == nil || !hasField(err, tt.field) {
			t.Errorf("%s: %v, want a refusal of %s", tt.name, err, tt.field)
		}
	}
	if err := (BidContent{Price: MaxBidPrice + 1, TechnicalOffer: "x"}).Validate(); err == nil || !hasField(err, "price.amount") {
		t.Errorf("a bid price above the bound: %v, want a refusal of price.amount", err)
	}
}

func hasField(err error, field string) bool {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return false
	}
	for _, f := range ae.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
