package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// sigV4Verifier checks requests as API Gateway does, written from AWS's description of Signature
// Version 4 ("Create a signed AWS API request"), independently of the SDK's signer.
type sigV4Verifier struct {
	accessKey, secret, token, region, service string
	now                                       time.Time
}

// uriEncode is SigV4's UriEncode: every byte but the unreserved characters as %XY, upper-case.
func uriEncode(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signature computes the signature of a request as received: its raw request target, Host, the
// signed headers' values and the body.
func (v sigV4Verifier) signature(method, requestURI, host string, header http.Header, signed []string, body []byte, amzDate string) string {
	rawPath, rawQuery, _ := strings.Cut(requestURI, "?")
	// Every service but S3 encodes the path a second time: the path as sent, encoded again.
	canonicalURI := uriEncode(rawPath, true)
	var pairs []string
	if rawQuery != "" {
		for _, kv := range strings.Split(rawQuery, "&") {
			k, val, _ := strings.Cut(kv, "=")
			dk, _ := url.QueryUnescape(k)
			dv, _ := url.QueryUnescape(val)
			pairs = append(pairs, uriEncode(dk, false)+"="+uriEncode(dv, false))
		}
	}
	sort.Strings(pairs)
	var canonHeaders strings.Builder
	for _, name := range signed {
		value := header.Get(name)
		if name == "host" {
			value = host
		}
		fmt.Fprintf(&canonHeaders, "%s:%s\n", name, strings.Join(strings.Fields(value), " "))
	}
	canonical := strings.Join([]string{method, canonicalURI, strings.Join(pairs, "&"), canonHeaders.String(),
		strings.Join(signed, ";"), sha256Hex(string(body))}, "\n")
	date := amzDate[:8]
	scope := date + "/" + v.region + "/" + v.service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonical)
	key := hmacSHA256([]byte("AWS4"+v.secret), date)
	key = hmacSHA256(key, v.region)
	key = hmacSHA256(key, v.service)
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

// verify accepts r only when its Authorization header carries the signature recomputed here.
func (v sigV4Verifier) verify(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("authorization %q: not AWS4-HMAC-SHA256", auth)
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = val
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return fmt.Errorf("x-amz-date %q: %w", amzDate, err)
	}
	if d := v.now.Sub(t); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("signed at %s, %s away from now", amzDate, d)
	}
	wantCred := v.accessKey + "/" + amzDate[:8] + "/" + v.region + "/" + v.service + "/aws4_request"
	if fields["Credential"] != wantCred {
		return fmt.Errorf("credential %q, want %q", fields["Credential"], wantCred)
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !sort.StringsAreSorted(signed) {
		return errors.New("signed headers not sorted")
	}
	need := []string{"host", "x-amz-date"}
	if v.token != "" {
		need = append(need, "x-amz-security-token")
		if r.Header.Get("X-Amz-Security-Token") != v.token {
			return errors.New("session token missing or wrong")
		}
	}
	for _, h := range need {
		if !contains(signed, h) {
			return fmt.Errorf("%s is not signed (signed: %v)", h, signed)
		}
	}
	want := v.signature(r.Method, r.RequestURI, r.Host, r.Header, signed, body, amzDate)
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return fmt.Errorf("signature %s, want %s", fields["Signature"], want)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The verifier itself against the worked example of AWS's Signature Version 4 documentation
// (IAM ListUsers, 2015-08-30), so that a verifier bug cannot make the signer look right.
func TestVerifierMatchesAWSExample(t *testing.T) {
	v := sigV4Verifier{secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "iam"}
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	h.Set("X-Amz-Date", "20150830T123600Z")
	got := v.signature("GET", "/?Action=ListUsers&Version=2010-05-08", "iam.amazonaws.com", h,
		[]string{"content-type", "host", "x-amz-date"}, nil, "20150830T123600Z")
	if want := "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"; got != want {
		t.Fatalf("signature %s, want AWS's %s", got, want)
	}
}

func TestSignsEachCallWithSigV4(t *testing.T) {
	now := time.Date(2026, 11, 29, 21, 0, 0, 0, time.UTC)
	v := sigV4Verifier{accessKey: "AKIDEXAMPLE", secret: "secret/KEY+1", token: "session-token", region: "eu-west-1",
		service: "execute-api", now: now}
	var verified, rejected []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.verify(r, body); err != nil {
			rejected = append(rejected, r.RequestURI+": "+err.Error())
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":"InvalidSignatureException","message":"bad signature","requestId":"x"}`)
			return
		}
		verified = append(verified, r.RequestURI)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	defer api.Close()

	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: v.accessKey, SecretAccessKey: v.secret, SessionToken: v.token}, nil
	})
	s := newTestServer(t, Config{Stack: Stack{APIURL: api.URL + "/Prod", Auth: AuthIAM}, Credentials: creds, Region: "eu-west-1",
		Clock: fixedClock(now)})
	arn := url.PathEscape("arn:aws:states:eu-west-1:123456789012:execution:stepgate_Standard:a1b2")
	calls := []struct{ method, target, body string }{
		{"POST", "/api/express-instance", `{"instance_id":"i-0123456789abcdef0","action":"start"}`},
		{"POST", "/api/standard-instance", `{"instance_id":"i-0123456789abcdef0"}`},
		{"GET", "/api/executions?limit=5&next=a%2Bb%3D%3D", ""},
		{"GET", "/api/executions/" + arn + "?wait=20", ""},
		{"GET", "/api/executions/arn:aws:states:eu-west-1:123456789012:execution:stepgate_Standard:raw/events?after=3&wait=20", ""},
		{"DELETE", "/api/executions/" + arn, ""},
		{"GET", "/api/instances/i-0123456789abcdef0", ""},
	}
	for _, c := range calls {
		w := do(s, c.method, c.target, c.body, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
		if w.Code != http.StatusOK {
			t.Errorf("%s %s: %d %s", c.method, c.target, w.Code, w.Body.String())
		}
	}
	if len(rejected) > 0 || len(verified) != len(calls) {
		t.Fatalf("verified %d of %d calls; rejected: %v", len(verified), len(calls), rejected)
	}

	// The verifier fails what it should: another secret, another Region, a stale clock.
	for name, bad := range map[string]sigV4Verifier{
		"other secret": {accessKey: v.accessKey, secret: "other", token: v.token, region: v.region, service: v.service, now: now},
		"other region": {accessKey: v.accessKey, secret: v.secret, token: v.token, region: "us-east-1", service: v.service, now: now},
		"stale":        {accessKey: v.accessKey, secret: v.secret, token: v.token, region: v.region, service: v.service, now: now.Add(time.Hour)},
	} {
		v = bad
		rejected = nil
		if w := do(s, "GET", "/api/executions", "", nil); w.Code != http.StatusForbidden || len(rejected) != 1 {
			t.Errorf("%s: got %d, rejected %v", name, w.Code, rejected)
		}
	}
}

func TestSigningTamperedRequestFails(t *testing.T) {
	// A request signed for one body and sent with another must not verify: the payload is signed.
	now := time.Date(2026, 11, 29, 21, 0, 0, 0, time.UTC)
	v := sigV4Verifier{accessKey: "AKID", secret: "s", region: "us-east-1", service: "execute-api", now: now}
	sg, err := newSigner(Config{Stack: Stack{Auth: AuthIAM}, Region: "us-east-1", Clock: fixedClock(now),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "s"}, nil
		})}, &url.URL{Scheme: "https", Host: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "https://abc.execute-api.us-east-1.amazonaws.com/Prod/standard-instance", nil)
	if err := sg.sign(context.Background(), r, []byte(`{"action":"start"}`)); err != nil {
		t.Fatal(err)
	}
	r.RequestURI = r.URL.RequestURI() // as a server receives it
	if err := v.verify(r, []byte(`{"action":"start"}`)); err != nil {
		t.Fatalf("the signed body does not verify: %v", err)
	}
	if err := v.verify(r, []byte(`{"action":"stop"}`)); err == nil {
		t.Fatal("a changed body verified")
	}
}

func TestRegionOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://abc123.execute-api.eu-central-1.amazonaws.com/Prod": "eu-central-1",
		"http://127.0.0.1:3000":      "",
		"https://api.example.com/v1": "",
	} {
		if got := RegionOf(in); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// fixedClock is a clock.Clock that always reads the same time.
type fixedClock time.Time

func (c fixedClock) Now() time.Time                                   { return time.Time(c) }
func (c fixedClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
