package service

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gerbang/pkg/auth"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
)

// Config is what every service reads from its environment. Each variable has
// an embedded default, so a service started with no configuration at all
// finds the local PostgreSQL and NATS.
type Config struct {
	Name            string        // service name: licensing, tender, payment, portal
	HTTPAddr        string        // HTTP_ADDR, default 127.0.0.1:<port of DESIGN.md>
	DatabaseURL     string        // DATABASE_URL, default postgres://gerbang:gerbang@127.0.0.1:5432/<name>
	DatabaseConns   int           // DATABASE_MAX_CONNS, default 32: the connection pool
	NATSURL         string        // NATS_URL, default nats://127.0.0.1:4222
	JWKSURL         string        // JWKS_URL, default the portal's http://127.0.0.1:8080/.well-known/jwks.json
	Issuer          string        // JWT_ISSUER, default http://127.0.0.1:8080
	Audience        string        // JWT_AUDIENCE, default gerbang
	DataDir         string        // DATA_DIR, default var/<name>: keys and local blobs
	AuditKeyFile    string        // AUDIT_KEY_FILE, default <DataDir>/keys/audit.key: signs audit checkpoints
	KeyReload       time.Duration // KEY_RELOAD_INTERVAL, default 30s: how often key rings are read again (a rotation reaches every replica within it)
	AuditCheckpoint time.Duration // AUDIT_CHECKPOINT_INTERVAL, default 1m: the longest time audit records stay unsigned
	JWKSRefresh     time.Duration // JWKS_REFRESH_INTERVAL, default 30s: the least time between two fetches of the portal's JWKS (a token of an unknown key fetches it)
	LogLevel        slog.Level    // LOG_LEVEL: debug, info, warn, error
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT, default 20s: how long in-flight requests may drain
	StartupTimeout  time.Duration // STARTUP_TIMEOUT, default 60s: how long to wait for PostgreSQL and NATS
	// Streams and the consumers' tables; the defaults' reasons are in
	// pkg/events (stream.go, prune.go).
	NATSReplicas        int           // NATS_REPLICAS, default 1: servers holding each stream and consumer (3 in a cluster)
	StreamMaxAge        time.Duration // NATS_STREAM_MAX_AGE, default 336h
	StreamMaxBytes      int64         // NATS_STREAM_MAX_BYTES, default 4 GiB
	InboxRetention      time.Duration // INBOX_RETENTION, default 720h; at least NATS_STREAM_MAX_AGE
	DeadLetterRetention time.Duration // DEAD_LETTER_RETENTION, default 2160h
	// Getenv is the environment the configuration was read from (for the
	// OTEL_* variables of tracing).
	Getenv func(string) string
}

// Defaults of the issuer and audience shared by the portal and the services.
const (
	DefaultIssuer   = auth.DefaultIssuer
	DefaultAudience = auth.DefaultAudience
)

// LoadConfig reads the configuration of service name from getenv.
func LoadConfig(name string, port int, getenv func(string) string) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Getenv:      getenv,
		Name:        name,
		HTTPAddr:    get("HTTP_ADDR", fmt.Sprintf("127.0.0.1:%d", port)),
		DatabaseURL: get("DATABASE_URL", dbx.DefaultURL(name)),
		NATSURL:     get("NATS_URL", "nats://127.0.0.1:4222"),
		JWKSURL:     get("JWKS_URL", DefaultIssuer+"/.well-known/jwks.json"),
		Issuer:      get("JWT_ISSUER", DefaultIssuer),
		Audience:    get("JWT_AUDIENCE", DefaultAudience),
		DataDir:     get("DATA_DIR", filepath.Join("var", name)),
	}
	c.AuditKeyFile = get("AUDIT_KEY_FILE", filepath.Join(c.DataDir, "keys", "audit.key"))
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	var err error
	if c.DatabaseConns, err = Int(getenv, "DATABASE_MAX_CONNS", dbx.DefaultMaxConns); err != nil {
		return c, err
	}
	if c.DatabaseConns < 1 {
		return c, fmt.Errorf("DATABASE_MAX_CONNS: %d is not a pool size", c.DatabaseConns)
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("SHUTDOWN_TIMEOUT", "20s")); err != nil {
		return c, fmt.Errorf("SHUTDOWN_TIMEOUT: %w", err)
	}
	if c.StartupTimeout, err = time.ParseDuration(get("STARTUP_TIMEOUT", "60s")); err != nil {
		return c, fmt.Errorf("STARTUP_TIMEOUT: %w", err)
	}
	for _, d := range []struct {
		to  *time.Duration
		key string
		def string
	}{{&c.KeyReload, "KEY_RELOAD_INTERVAL", "30s"}, {&c.JWKSRefresh, "JWKS_REFRESH_INTERVAL", "30s"}, {&c.AuditCheckpoint, "AUDIT_CHECKPOINT_INTERVAL", "1m"}} {
		if *d.to, err = time.ParseDuration(get(d.key, d.def)); err != nil || *d.to <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive duration such as %s", d.key, get(d.key, d.def), d.def)
		}
	}
	if c.NATSReplicas, err = Int(getenv, "NATS_REPLICAS", 1); err != nil {
		return c, err
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		return c, fmt.Errorf("NATS_REPLICAS: %d is not a JetStream replica count (1 to 5)", c.NATSReplicas)
	}
	maxBytes, err := Int(getenv, "NATS_STREAM_MAX_BYTES", events.DefaultStreamMaxBytes)
	if err != nil {
		return c, err
	}
	c.StreamMaxBytes = int64(maxBytes)
	for _, d := range []struct {
		to  *time.Duration
		key string
		def time.Duration
	}{
		{&c.StreamMaxAge, "NATS_STREAM_MAX_AGE", events.DefaultStreamMaxAge},
		{&c.InboxRetention, "INBOX_RETENTION", events.DefaultInboxRetention},
		{&c.DeadLetterRetention, "DEAD_LETTER_RETENTION", events.DefaultDeadLetterRetention},
	} {
		if *d.to, err = Duration(getenv, d.key, d.def); err != nil {
			return c, err
		}
	}
	if c.StreamMaxBytes < 1 || c.StreamMaxAge <= 0 || c.DeadLetterRetention <= 0 {
		return c, fmt.Errorf("NATS_STREAM_MAX_BYTES, NATS_STREAM_MAX_AGE and DEAD_LETTER_RETENTION must be positive")
	}
	if c.InboxRetention < c.StreamMaxAge {
		// A redelivery of an event still in the stream would find no inbox
		// row and be applied again.
		return c, fmt.Errorf("INBOX_RETENTION (%s) must be at least NATS_STREAM_MAX_AGE (%s)", c.InboxRetention, c.StreamMaxAge)
	}
	return c, nil
}

// Duration reads a duration variable (Go syntax: 90s, 336h) with a default.
func Duration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a duration such as 90s or 336h", key, v)
	}
	return d, nil
}

// Int reads an integer variable with a default.
func Int(getenv func(string) string, key string, def int) (int, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", key, v)
	}
	return n, nil
}

// Bool reads a boolean variable with a default.
func Bool(getenv func(string) string, key string, def bool) (bool, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", key, v)
	}
	return b, nil
}
