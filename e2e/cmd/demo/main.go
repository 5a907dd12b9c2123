// Command demo loads the demo data of `make run` through the services' APIs
// (package gerbang/e2e/demo says what it loads). Running it again changes
// nothing.
//
//	demo -portal http://127.0.0.1:8080 -statement var/demo/rekening-koran.csv
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"gerbang/e2e/demo"
)

func main() {
	portal := flag.String("portal", "http://127.0.0.1:8080", "the portal (login and /api proxy)")
	statement := flag.String("statement", "", "write a bank statement to reconcile to this file")
	window := flag.Duration("bid-window", 45*time.Second, "how long the tender that goes on to its award takes bids")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l := &demo.Loader{Base: *portal, Log: os.Stdout, Statement: *statement, BidWindow: *window}
	s, err := l.Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Printf("demo data loaded: %d applications, %d tenders", len(s.Applications), len(s.Tenders))
	if s.Statement != "" {
		fmt.Printf(", a statement to reconcile in %s", s.Statement)
	}
	fmt.Println()
}
