package events

import (
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// consumerFilters returns the filter the server is given and the subjects a
// consumer must filter itself. NATS servers before 2.10 (Debian 12 ships
// 2.9) take one filter subject per consumer: there a consumer of several
// subjects reads the whole stream and acknowledges the others unhandled.
func consumerFilters(js jetstream.JetStream, subjects []string) (server []string, client []string) {
	if len(subjects) <= 1 || serverTakesManyFilters(js.Conn().ConnectedServerVersion()) {
		return subjects, nil
	}
	return nil, subjects
}

func serverTakesManyFilters(version string) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return major > 2 || (major == 2 && minor >= 10)
}

// subjectMatches reports whether a subject matches a NATS filter with the
// wildcards * (one token) and > (the rest).
func subjectMatches(filter, subject string) bool {
	fs := strings.Split(filter, ".")
	ss := strings.Split(subject, ".")
	for i, f := range fs {
		if f == ">" {
			return len(ss) > i
		}
		if i >= len(ss) || (f != "*" && f != ss[i]) {
			return false
		}
	}
	return len(fs) == len(ss)
}

func matchesAny(filters []string, subject string) bool {
	for _, f := range filters {
		if subjectMatches(f, subject) {
			return true
		}
	}
	return false
}
