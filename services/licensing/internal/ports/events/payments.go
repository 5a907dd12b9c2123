// Package events holds the licensing service's JetStream consumers: each
// maps an event to a use case, applied once through the inbox.
package events

import (
	"context"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	pkgevents "gerbang/pkg/events"
	"gerbang/services/licensing/internal/app"
)

// PaymentInvoicePaidConsumer is the durable name of the consumer of
// payment.invoice.paid.
const PaymentInvoicePaidConsumer = "licensing-payment-invoice-paid"

// ConsumeInvoicePaid issues licenses whose fee was paid, from the PAYMENT
// stream, until ctx is done. DoubleAck: the effect is money's.
func ConsumeInvoicePaid(ctx context.Context, js jetstream.JetStream, db *sqlx.DB, svc *app.Service, log *slog.Logger) error {
	return pkgevents.Consume(ctx, js, db, pkgevents.ConsumerConfig{
		Stream:         "PAYMENT",
		Durable:        PaymentInvoicePaidConsumer,
		FilterSubjects: []string{app.SubjectInvoicePaid},
		DoubleAck:      true,
		Log:            log,
	}, func(ctx context.Context, tx *sqlx.Tx, ev pkgevents.Event) error {
		return svc.IssueOnPayment(ctx, tx, ev)
	})
}
