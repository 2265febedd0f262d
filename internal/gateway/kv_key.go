package gateway

import (
	"errors"
	"fmt"
)

// maxKeyLen bounds a key (and a key pattern). NATS puts no explicit limit on
// keys, but a key is part of a subject ("$KV.<bucket>.<key>") and control
// lines are 4 KiB.
const maxKeyLen = 1024

// checkKey validates a key by NATS KV rules: letters, digits and "-", "/",
// "_", "=", "."; no "." at either end and no empty token (".."). Keys are not
// mapped: they live inside an already-mapped bucket, so any valid key stays
// in the caller's organization.
func checkKey(key string) error { return checkKeyOrPattern(key, false) }

// checkKeyPattern validates a watch or listing filter: a key whose tokens may
// also be "*" (one token) or, last, ">" (one or more tokens).
func checkKeyPattern(p string) error { return checkKeyOrPattern(p, true) }

func checkKeyOrPattern(s string, pattern bool) error {
	const rule = "keys are letters, digits and '-', '/', '_', '=', '.' tokens separated by single '.', with no '.' at either end"
	if s == "" {
		return errors.New("must not be empty")
	}
	if len(s) > maxKeyLen {
		return fmt.Errorf("must be at most %d bytes (got %d)", maxKeyLen, len(s))
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		tok := s[start:i]
		switch {
		case tok == "":
			return fmt.Errorf("has an empty token at byte %d (%s)", start, rule)
		case pattern && tok == "*":
		case pattern && tok == ">":
			if i != len(s) {
				return errors.New("wildcard '>' must be the last token")
			}
		default:
			for j := 0; j < len(tok); j++ {
				if c := tok[j]; !isKeyChar(c) {
					if pattern && (c == '*' || c == '>') {
						return fmt.Errorf("wildcard %q must be a whole token (found in %q)", rune(c), tok)
					}
					return fmt.Errorf("may not contain %q at byte %d (%s)", rune(c), start+j, rule)
				}
			}
		}
		start = i + 1
	}
	return nil
}

func isKeyChar(c byte) bool {
	return isAlnum(c) || c == '-' || c == '/' || c == '_' || c == '='
}
