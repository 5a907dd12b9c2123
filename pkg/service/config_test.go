package service

import (
	"strings"
	"testing"
	"time"

	"gerbang/pkg/events"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestStreamsTakeReplicasAndRetentionFromConfiguration(t *testing.T) {
	c, err := LoadConfig("tender", 8082, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.NATSReplicas != 1 || c.StreamMaxAge != events.DefaultStreamMaxAge || c.StreamMaxBytes != events.DefaultStreamMaxBytes ||
		c.InboxRetention != events.DefaultInboxRetention || c.DeadLetterRetention != events.DefaultDeadLetterRetention {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = LoadConfig("tender", 8082, env(map[string]string{"NATS_REPLICAS": "3", "NATS_STREAM_MAX_AGE": "72h", "NATS_STREAM_MAX_BYTES": "1073741824", "INBOX_RETENTION": "96h"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.NATSReplicas != 3 || c.StreamMaxAge != 72*time.Hour || c.StreamMaxBytes != 1<<30 || c.InboxRetention != 96*time.Hour {
		t.Fatalf("configured: %+v", c)
	}
}

func TestRetentionThatWouldLetARedeliveryThroughIsRefused(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"INBOX_RETENTION": "24h"}, "INBOX_RETENTION"},
		{map[string]string{"NATS_REPLICAS": "0"}, "NATS_REPLICAS"},
		{map[string]string{"NATS_REPLICAS": "7"}, "NATS_REPLICAS"},
		{map[string]string{"NATS_STREAM_MAX_AGE": "14d"}, "NATS_STREAM_MAX_AGE"},
		{map[string]string{"NATS_STREAM_MAX_BYTES": "-1"}, "NATS_STREAM_MAX_BYTES"},
	} {
		_, err := LoadConfig("tender", 8082, env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one naming %s", tc.vars, err, tc.want)
		}
	}
}
