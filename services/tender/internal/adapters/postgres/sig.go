package postgres

import "encoding/base64"

func decodeSig(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func encodeSig(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
