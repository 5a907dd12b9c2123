package svctest

import (
	"os"
	"testing"
)

func TestPeakRSSReadsThisProcessAndAnother(t *testing.T) {
	self, err := PeakRSS(0)
	if err != nil || self < 1<<20 {
		t.Fatalf("own peak RSS %d, %v: a Go test process holds more than 1 MiB", self, err)
	}
	byPID, err := PeakRSS(os.Getpid())
	if err != nil || byPID < self {
		t.Fatalf("peak RSS by pid %d, %v; by self %d", byPID, err, self)
	}
	if _, err := PeakRSS(1 << 30); err == nil {
		t.Fatal("a process that does not exist has a peak RSS")
	}
}
