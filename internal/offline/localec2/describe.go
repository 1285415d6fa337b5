package localec2

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// filter is one EC2 filter: an instance matches when the named attribute
// matches any of the values (values may use the * and ? wildcards).
type filter struct {
	Name   string
	Values []string
}

// describeQuery is what DescribeInstances and DescribeInstanceStatus share.
type describeQuery struct {
	ids        []string
	filters    []filter
	maxResults int // 0: not given
	nextToken  string
	// includeAll lists every state in DescribeInstanceStatus; without it only
	// running instances are listed, as on AWS. DescribeInstances sets it.
	includeAll bool
}

// filterNames are the filters served; EC2 rejects names it does not know.
var filterNames = map[string]bool{
	"instance-id":         true,
	"instance-state-name": true,
	"instance-state-code": true,
	"instance-type":       true,
	"image-id":            true,
	"availability-zone":   true,
	"private-ip-address":  true,
	"reservation-id":      true,
	"tag-key":             true,
}

// validate checks the query as EC2 does, before looking anything up.
func (q *describeQuery) validate() error {
	if err := checkIDs(q.ids); err != nil {
		return err
	}
	if q.maxResults != 0 {
		if len(q.ids) > 0 {
			return &APIError{"InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults"}
		}
		if q.maxResults < 5 || q.maxResults > 1000 {
			return errInvalidParameterValue("Value ( " + strconv.Itoa(q.maxResults) + " ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.")
		}
	}
	for _, f := range q.filters {
		if !filterNames[f.Name] && !strings.HasPrefix(f.Name, "tag:") {
			return errInvalidParameterValue("The filter '" + f.Name + "' is invalid")
		}
	}
	return nil
}

// describe returns the instances the query selects, one page of them, and
// the token of the next page ("" on the last).
func (e *EC2) describe(q describeQuery) ([]Instance, string, error) {
	if err := q.validate(); err != nil {
		return nil, "", err
	}
	offset, err := decodeToken(q.nextToken)
	if err != nil {
		return nil, "", err
	}

	e.mu.Lock()
	now := e.clock.Now()
	var selected []Instance
	if len(q.ids) > 0 {
		var missing []string
		seen := make(map[string]bool, len(q.ids))
		for _, id := range q.ids {
			in, ok := e.instances[id]
			switch {
			case !ok:
				missing = append(missing, id)
			case !seen[id]:
				seen[id] = true
				e.settle(in, now)
				selected = append(selected, in.snapshot())
			}
		}
		if len(missing) > 0 {
			e.mu.Unlock()
			return nil, "", errNotFound(missing)
		}
	} else {
		selected = make([]Instance, 0, len(e.order))
		for _, id := range e.order {
			in := e.instances[id]
			e.settle(in, now)
			selected = append(selected, in.snapshot())
		}
	}
	e.mu.Unlock()

	kept := selected[:0]
	for i := range selected {
		in := &selected[i]
		if (q.includeAll || in.State == StateRunning) && matchesAll(in, q.filters) {
			kept = append(kept, *in)
		}
	}
	if offset > len(kept) {
		return nil, "", errInvalidToken()
	}
	kept = kept[offset:]
	next := ""
	if q.maxResults > 0 && len(kept) > q.maxResults {
		kept = kept[:q.maxResults]
		next = encodeToken(offset + q.maxResults)
	}
	return kept, next, nil
}

func matchesAll(in *Instance, filters []filter) bool {
	for _, f := range filters {
		if !matches(in, f) {
			return false
		}
	}
	return true
}

func matches(in *Instance, f filter) bool {
	if f.Name == "tag-key" {
		for k := range in.Tags {
			if matchAny(f.Values, k) {
				return true
			}
		}
		return false
	}
	if key, ok := strings.CutPrefix(f.Name, "tag:"); ok {
		v, has := in.Tags[key]
		return has && matchAny(f.Values, v)
	}
	var attr string
	switch f.Name {
	case "instance-id":
		attr = in.ID
	case "instance-state-name":
		attr = string(in.State)
	case "instance-state-code":
		attr = strconv.Itoa(int(in.State.Code()))
	case "instance-type":
		attr = in.InstanceType
	case "image-id":
		attr = in.ImageID
	case "availability-zone":
		attr = in.AvailabilityZone
	case "private-ip-address":
		attr = in.PrivateIP
	case "reservation-id":
		attr = in.ReservationID
	}
	return matchAny(f.Values, attr)
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcard(p, s) {
			return true
		}
	}
	return false
}

// wildcard matches s against p, where * is any run of characters and ? any
// one, as EC2 filter values do.
func wildcard(p, s string) bool {
	// Iterative matching with one backtrack point: linear for EC2's patterns.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// Pagination tokens are opaque to clients; here they hold the offset of the
// next page in the filtered listing.
const tokenPrefix = "localec2:"

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(offset)))
}

func decodeToken(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, errInvalidToken()
	}
	n, ok := strings.CutPrefix(string(raw), tokenPrefix)
	if !ok {
		return 0, errInvalidToken()
	}
	offset, err := strconv.Atoi(n)
	if err != nil || offset < 0 {
		return 0, errInvalidToken()
	}
	return offset, nil
}

func errInvalidToken() *APIError {
	return &APIError{"InvalidPaginationToken", "The pagination token is invalid."}
}
