package asl

import "testing"

// The JSONPath divergences issue 11 lists, each as AWS answers.
func TestJSONPathDivergencesAsAWS(t *testing.T) {
	tests := []struct{ name, def, input, output string }{
		{"hyphenated key in dot notation",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"p.$":"$.delivery-partner.name"},"End":true}}}`,
			`{"delivery-partner":{"name":"ACME"}}`, `{"p":"ACME"}`},
		{"hyphenated key in ItemSelector",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value.order-id","dp.$":"$.delivery-partner"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			`{"delivery-partner":"x","items":[{"order-id":1}]}`, `[{"v":1,"dp":"x"}]`},
		{"escaped quote in bracket notation",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"v.$":"$['Test\\\"Name']","w.$":"$['it\\'s']"},"End":true}}}`,
			`{"Test\"Name":1,"it's":2}`, `{"v":1,"w":2}`},
		{"Format of an object and an array",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"s.$":"States.Format('{} {}', $.o, $.a)"},"End":true}}}`,
			`{"o":{"k":"v","n":1},"a":["x",2]}`, `{"s":"{k=v, n=1} [x, 2]"}`},
		{"StringToJson of an empty string",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"v.$":"States.StringToJson($.s)"},"End":true}}}`,
			`{"s":" "}`, `{"v":null}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectRun(t, tc.def, tc.input, StatusSucceeded, "", tc.output)
		})
	}
	_, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"m.$":"States.JsonMerge(States.StringToJson($.a), $.b, false)"},"End":true}}}`))
	if err == nil {
		t.Error("a nested intrinsic as a JsonMerge argument was accepted; AWS refuses the definition")
	}
}
