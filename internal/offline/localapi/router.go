package localapi

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// router matches raw (still percent-encoded) request paths against the API's resources the way
// API Gateway does: literal segments before {param} before {param+}, and a greedy {param+} only
// as the last segment.
type router struct {
	root *node
}

type node struct {
	literal map[string]*node
	param   *node
	greedy  *node
	name    string // the parameter's name, on param and greedy nodes
	methods map[string]*resourceMethod
}

type resourceMethod struct {
	route      Route
	resourceID string
}

// match is one request matched to a route.
type match struct {
	route      Route
	resourceID string
	params     map[string]string // nil when the resource has no parameters
}

func newRouter(routes []Route) *router {
	rt := &router{root: &node{}}
	for _, route := range routes {
		n := rt.root
		for _, seg := range splitPath(route.Path) {
			switch {
			case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "+}"):
				if n.greedy == nil {
					n.greedy = &node{name: seg[1 : len(seg)-2]}
				}
				n = n.greedy
			case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
				if n.param == nil {
					n.param = &node{name: seg[1 : len(seg)-1]}
				}
				n = n.param
			default:
				if n.literal == nil {
					n.literal = map[string]*node{}
				}
				child := n.literal[seg]
				if child == nil {
					child = &node{}
					n.literal[seg] = child
				}
				n = child
			}
		}
		if n.methods == nil {
			n.methods = map[string]*resourceMethod{}
		}
		n.methods[strings.ToUpper(route.Method)] = &resourceMethod{route: route, resourceID: resourceID(route.Path)}
	}
	return rt
}

// resourceID is a stable stand-in for the 6-to-10 character ID API Gateway gives a resource.
func resourceID(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:3])
}

func splitPath(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// match finds the route for method and raw path; ok is false for an unknown resource and for a
// known resource without that method (API Gateway answers both alike).
func (rt *router) match(method, path string) (match, bool) {
	var params map[string]string
	n := rt.root.find(splitPath(path), &params)
	if n == nil {
		return match{}, false
	}
	m := n.methods[method]
	if m == nil {
		m = n.methods["ANY"]
	}
	if m == nil {
		return match{}, false
	}
	return match{route: m.route, resourceID: m.resourceID, params: params}, true
}

// find walks the tree, backtracking from literal to parameter to greedy, and returns the node
// that has methods.
func (n *node) find(segs []string, params *map[string]string) *node {
	if len(segs) == 0 {
		if n.methods != nil {
			return n
		}
		return nil
	}
	seg := segs[0]
	if seg == "" {
		return nil // an empty segment ("//") matches no resource
	}
	if child := n.literal[seg]; child != nil {
		if found := child.find(segs[1:], params); found != nil {
			return found
		}
	}
	if n.param != nil {
		if found := n.param.find(segs[1:], params); found != nil {
			setParam(params, n.param.name, seg)
			return found
		}
	}
	if n.greedy != nil && n.greedy.methods != nil {
		setParam(params, n.greedy.name, strings.Join(segs, "/"))
		return n.greedy
	}
	return nil
}

func setParam(params *map[string]string, name, value string) {
	if *params == nil {
		*params = make(map[string]string, 2)
	}
	(*params)[name] = value
}
