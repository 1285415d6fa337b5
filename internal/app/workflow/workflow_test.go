package workflow

import (
	"strings"
	"testing"
)

func TestParseInput(t *testing.T) {
	tests := []struct {
		name          string
		body          string
		wantID        string
		wantAction    Action
		wantCanonical string
		wantErr       string
	}{
		{name: "minimal", body: `{"instance_id":"i-0123456789abcdef0"}`, wantID: "i-0123456789abcdef0", wantCanonical: `{"instance_id":"i-0123456789abcdef0"}`},
		{name: "short id", body: `{"instance_id":"i-01234567"}`, wantID: "i-01234567", wantCanonical: `{"instance_id":"i-01234567"}`},
		{name: "each action", body: `{"instance_id":"i-01234567","action":"stop"}`, wantID: "i-01234567", wantAction: ActionStop, wantCanonical: `{"action":"stop","instance_id":"i-01234567"}`},
		{name: "extra fields kept and sorted", body: "{ \"z\": [1, 2.50, 1e3], \"instance_id\": \"i-01234567\",\n \"a\": {\"y\": null, \"b\": \"<&>\"} }",
			wantID: "i-01234567", wantCanonical: `{"a":{"b":"<&>","y":null},"instance_id":"i-01234567","z":[1,2.50,1e3]}`},
		{name: "big integer preserved", body: `{"instance_id":"i-01234567","n":123456789012345678901234567890}`, wantID: "i-01234567",
			wantCanonical: `{"instance_id":"i-01234567","n":123456789012345678901234567890}`},
		{name: "missing id", body: `{}`, wantErr: "required"},
		{name: "null id", body: `{"instance_id":null}`, wantErr: "instance ID"},
		{name: "uppercase id", body: `{"instance_id":"i-0123456789ABCDEF0"}`, wantErr: "instance ID"},
		{name: "9 digits", body: `{"instance_id":"i-012345678"}`, wantErr: "instance ID"},
		{name: "id with newline", body: `{"instance_id":"i-01234567\n"}`, wantErr: "instance ID"},
		{name: "unknown action", body: `{"instance_id":"i-01234567","action":"reboot"}`, wantErr: "action"},
		{name: "action not string", body: `{"instance_id":"i-01234567","action":1}`, wantErr: "action"},
		{name: "array", body: `["i-01234567"]`, wantErr: "object"},
		{name: "null", body: `null`, wantErr: "object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ParseInput([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.InstanceID != tc.wantID || in.Action != tc.wantAction || string(in.Canonical) != tc.wantCanonical {
				t.Errorf("got %+v (canonical %s)", in, in.Canonical)
			}
		})
	}
}

func TestCanonicalizeStable(t *testing.T) {
	a, err := Canonicalize([]byte(`{"b":1,"a":{"d":2,"c":[3,{"f":4,"e":5}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Canonicalize(a)
	if err != nil || string(a) != string(b) || string(a) != `{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}` {
		t.Errorf("Canonicalize = %s then %s (%v)", a, b, err)
	}
	if _, err := Canonicalize([]byte(`{} x`)); err == nil {
		t.Error("trailing data accepted")
	}
}

func TestAllowlist(t *testing.T) {
	a, err := ParseAllowlist(" i-0123456789abcdef0 ,, i-01234567,")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"i-0123456789abcdef0": true, "i-01234567": true, "i-0fedcba9876543210": false, "": false} {
		if a.Allows(id) != want {
			t.Errorf("Allows(%q) = %v", id, !want)
		}
	}
	if got := strings.Join(a.IDs(), ","); got != "i-01234567,i-0123456789abcdef0" {
		t.Errorf("IDs = %s", got)
	}
	for _, bad := range []string{"", " , ", "i-0123456789abcdef0,vm-1"} {
		if _, err := ParseAllowlist(bad); err == nil {
			t.Errorf("ParseAllowlist(%q) accepted", bad)
		}
	}
	if (Allowlist{}).Allows("i-01234567") {
		t.Error("zero Allowlist allows")
	}
}
