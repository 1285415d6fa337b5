package asl

import (
	"context"
	"encoding/json"
	"testing"
)

// Objects keep their key order as AWS keeps it: the input's order, the
// definition's order for Parameters and Result, a new ResultPath key last.
// The comparison is on the output text, not on decoded values.
func TestOutputsKeepKeyOrder(t *testing.T) {
	tests := []struct{ name, def, input, output string }{
		{"input passes through", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
			`{"zeta":1,"alpha":{"y":2,"b":3}}`, `{"zeta":1,"alpha":{"y":2,"b":3}}`},
		{"ResultPath adds the new key last and keeps an existing one in place", `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"z":1,"a":2},"ResultPath":"$.new","Next":"B"},"B":{"Type":"Pass","Result":9,"ResultPath":"$.m","End":true}}}`,
			`{"m":0,"b":1}`, `{"m":9,"b":1,"new":{"z":1,"a":2}}`},
		{"Parameters in definition order", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"z.$":"$.a","m":{"y":1,"b":2},"a":"lit"},"End":true}}}`,
			`{"a":0}`, `{"z":0,"m":{"y":1,"b":2},"a":"lit"}`},
		{"JsonToString, Format and JsonMerge keep the order", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"s.$":"States.JsonToString($.o)","f.$":"States.Format('{}', $.o)","m.$":"States.JsonMerge($.o, $.p, false)"},"End":true}}}`,
			`{"o":{"z":1,"a":2},"p":{"a":3,"c":4}}`, `{"s":"{\"z\":1,\"a\":2}","f":"{z=1, a=2}","m":{"z":1,"a":3,"c":4}}`},
		{"StringToJson keeps the text's order", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"v.$":"States.StringToJson($.s)"},"End":true}}}`,
			`{"s":"{\"z\":1,\"a\":2}"}`, `{"v":{"z":1,"a":2}}`},
		{"error output is Error then Cause", `{"StartAt":"F","States":{"F":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Fail","Error":"E","Cause":"C"}}}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"D"}],"Next":"D"},"D":{"Type":"Succeed"}}}`,
			`{}`, `{"Error":"E","Cause":"C"}`},
		{"JSONata Output in definition order", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"z":"{% 1 %}","a":2},"End":true}}}`,
			`{}`, `{"z":1,"a":2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := mustParse(t, tc.def)
			res := sm.Start(context.Background(), json.RawMessage(tc.input), Config{Clock: fastClock}).Wait(context.Background())
			if res.Status != StatusSucceeded {
				t.Fatalf("result = %+v", res)
			}
			if string(res.Output) != tc.output {
				t.Errorf("output = %s, want %s", res.Output, tc.output)
			}
		})
	}
}
