package offline

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Banner prints what a newcomer needs: where things listen, what is not enforced, the instance IDs
// and commands to paste.
func (s *Stack) Banner(w io.Writer, timeScale float64) {
	var ids []string
	for _, id := range s.InstanceIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	instance := "i-…"
	if len(ids) > 0 {
		instance = ids[0]
	}
	api := strings.TrimPrefix(s.APIURL, "http://")
	var b strings.Builder
	fmt.Fprintf(&b, "\nstepgate offline stack is up (no AWS account, no Docker)\n\n")
	fmt.Fprintf(&b, "  API           %s   (stage %q; auth NOT enforced locally: loopback only)\n", s.APIURL, s.StageName)
	fmt.Fprintf(&b, "  AWS endpoint  %s   (Step Functions + EC2)\n", s.AWSURL)
	fmt.Fprintf(&b, "  instances     %s\n", strings.Join(ids, ", "))
	for _, name := range sortedKeys(s.StateMachineARNs) {
		fmt.Fprintf(&b, "  %-13s %s\n", name, s.StateMachineARNs[name])
	}
	if timeScale != 1 {
		fmt.Fprintf(&b, "  time          workflows run %gx faster than real time (-time-scale)\n", timeScale)
	}
	fmt.Fprintf(&b, "\nTry:\n")
	fmt.Fprintf(&b, "  curl -s -X POST %s/express-instance -d '{\"instance_id\":\"%s\"}'\n", api, instance)
	fmt.Fprintf(&b, "  curl -si -X POST %s/standard-instance -H 'Idempotency-Key: demo-1' -d '{\"instance_id\":\"%s\",\"action\":\"start\"}'\n", api, instance)
	fmt.Fprintf(&b, "  curl -s \"<the Location header of the previous answer>?wait=20\"\n")
	fmt.Fprintf(&b, "  curl -s %s/instances/%s\n", api, instance)
	fmt.Fprintf(&b, "  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=%s\n", Region)
	fmt.Fprintf(&b, "  aws --endpoint-url %s stepfunctions list-state-machines\n", s.AWSURL)
	fmt.Fprintf(&b, "  HTTP_PROXY=%s aws --endpoint-url %s stepfunctions start-sync-execution --state-machine-arn %s --input '{\"instance_id\":\"%s\"}'\n",
		s.AWSURL, s.AWSURL, s.StateMachineARNs["ExpressStateMachine"], instance)
	fmt.Fprintf(&b, "\nState lives in this process: a restart begins afresh (instances stopped, no executions).\n")
	fmt.Fprintf(&b, "Ctrl-C stops everything (requests in flight get 5 s to finish). -v shows every AWS call and function log line.\n\n")
	io.WriteString(w, b.String())
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
