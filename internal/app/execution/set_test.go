package execution

import "testing"

func TestSet(t *testing.T) {
	const (
		expressSM = "arn:aws:states:us-east-1:123456789012:stateMachine:ExpressStateMachine"
		standard  = "arn:aws:states:us-east-1:123456789012:stateMachine:StandardStateMachine"
		second    = "arn:aws:states:us-east-1:123456789012:stateMachine:Nightly"
	)
	set, err := NewSet(expressSM, standard+", "+second)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(set.Standard()); got != 2 || set.Standard()[1].Name != "Nightly" {
		t.Fatalf("Standard() = %+v", set.Standard())
	}
	tests := []struct {
		arn  string
		want Kind
	}{
		{std, Standard},
		{"arn:aws:states:us-east-1:123456789012:execution:Nightly:run-1", Standard},
		{express, Express},
		{"arn:aws:states:us-east-1:123456789012:express:StandardStateMachine:n:r", Foreign},
		{"arn:aws:states:us-east-1:123456789012:execution:ExpressStateMachine:n", Foreign},
		{"arn:aws:states:us-east-1:123456789012:execution:Other:n", Foreign},
		{"arn:aws:states:eu-west-1:123456789012:execution:Nightly:n", Foreign},
	}
	for _, tc := range tests {
		a, err := Parse(tc.arn)
		if err != nil {
			t.Fatal(err)
		}
		if got := set.Classify(a); got != tc.want {
			t.Errorf("Classify(%s) = %v, want %v", tc.arn, got, tc.want)
		}
	}

	noExpress, err := NewSet("", standard)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := Parse(express); noExpress.Classify(a) != Foreign {
		t.Error("an express ARN is Express with no express machine listed")
	}
	for name, args := range map[string][2]string{
		"no standard machine":   {expressSM, ""},
		"only commas":           {"", " , "},
		"malformed standard":    {"", standard + ",arn:aws:states:x"},
		"malformed express":     {"nope", standard},
		"execution, no machine": {"", std},
	} {
		if _, err := NewSet(args[0], args[1]); err == nil {
			t.Errorf("%s: NewSet(%q, %q) accepted", name, args[0], args[1])
		}
	}
}
