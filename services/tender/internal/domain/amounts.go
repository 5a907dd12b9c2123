package domain

// Upper bounds of the amounts a tender takes (the README's table of bad
// input): an HPS and a bid price at most Rp 10^15, the contract's ceiling
// for Money; a bid security at most Rp 100 triliun, the largest invoice the
// payment service makes (its MaxInvoiceAmount), so every bid security
// requested can be paid.
const (
	MaxHPS         int64 = 1_000_000_000_000_000
	MaxBidPrice          = MaxHPS
	MaxBidSecurity int64 = 100_000_000_000_000
)
