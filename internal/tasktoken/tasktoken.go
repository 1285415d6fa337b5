// Package tasktoken names a Step Functions task token without revealing it. A task token lets
// whoever holds it finish a waiting task, so it is a secret: logs, consoles and error bodies carry
// Hash instead. The Lambdas and the offline stack share this package (it imports neither), so the
// same task has the same name in a function's log and in make local's console.
package tasktoken

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
)

// hashLen is how many hex digits of the SHA-256 name a token: 48 bits tell apart the tasks one
// person looks at, and are far too few to guess a token from.
const hashLen = 12

// Hash is the short name of a token: the first 12 hex digits of its SHA-256.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// RedactPath hides the token in a request's path: when the path's last segments match template
// (a route's path such as /tasks/{token}/approve, its literal segments equal, its parameters any
// value) and template's parameter param holds the token, that segment becomes {param:hash}, and
// ok is true. Segments before the template's (a stage, a custom domain's base path) stay as they
// are. The segment may be percent-encoded, as a path travels.
func RedactPath(path, template, param string) (redacted string, ok bool) {
	trimmed, slash := strings.CutSuffix(path, "/")
	segs := strings.Split(trimmed, "/")
	tmpl := strings.Split(strings.TrimPrefix(template, "/"), "/")
	first := len(segs) - len(tmpl)
	if first < 1 { // segs[0] is what comes before the path's leading "/"
		return path, false
	}
	at := -1
	for i, t := range tmpl {
		switch {
		case t == "{"+param+"}":
			at = first + i
		case strings.HasPrefix(t, "{"):
		case t != segs[first+i]:
			return path, false
		}
	}
	if at < 0 {
		return path, false
	}
	token, err := url.PathUnescape(segs[at])
	if err != nil {
		token = segs[at]
	}
	segs[at] = "{" + param + ":" + Hash(token) + "}"
	redacted = strings.Join(segs, "/")
	if slash {
		redacted += "/"
	}
	return redacted, true
}
