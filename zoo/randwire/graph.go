package randwire

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/graph/graphs/gen"
	"gonum.org/v1/gonum/graph/simple"
)

// Graph is one random stage's wiring, already a DAG: nodes are numbered
// 0..Nodes-1 in the paper's index order (Sec. 3.2, "converting undirected
// graphs into DAGs") and every edge points from the lower index to the
// higher one, so the index order is a topological order. It is data: a
// model is built from saved Graphs (Config), never from a generator.
//
// The stage's extra input node, which feeds every node without a
// predecessor, and its extra output node, which averages every node
// without a successor, are implicit: they are not in Nodes or Edges.
type Graph struct {
	Nodes int      `json:"nodes"`
	Edges [][2]int `json:"edges"` // {from, to}, from < to, sorted
	// Origin says where the graph came from ("WS(4, 0.75), seed 1, stage
	// 2"); it is a note for people, not read when building.
	Origin string `json:"origin,omitempty"`
}

// Validate reports a graph that is not a simple DAG in index order.
func (g Graph) Validate() error {
	if g.Nodes < 1 {
		return fmt.Errorf("randwire: graph with %d nodes", g.Nodes)
	}
	seen := map[[2]int]bool{}
	for _, e := range g.Edges {
		if e[0] < 0 || e[1] >= g.Nodes || e[0] >= e[1] {
			return fmt.Errorf("randwire: edge %v of a %d-node graph does not point from a lower to a higher index", e, g.Nodes)
		}
		if seen[e] {
			return fmt.Errorf("randwire: edge %v twice", e)
		}
		seen[e] = true
	}
	return nil
}

// Preds returns, for every node, its predecessors in increasing order.
func (g Graph) Preds() [][]int {
	p := make([][]int, g.Nodes)
	for _, e := range g.Edges {
		p[e[1]] = append(p[e[1]], e[0])
	}
	for _, s := range p {
		slices.Sort(s)
	}
	return p
}

// Inputs returns the nodes without predecessors, which the stage's extra
// input node feeds (and which take the stride-2 conv).
func (g Graph) Inputs() []int {
	has := make([]bool, g.Nodes)
	for _, e := range g.Edges {
		has[e[1]] = true
	}
	return missing(has)
}

// Outputs returns the nodes without successors, which the stage's extra
// output node averages.
func (g Graph) Outputs() []int {
	has := make([]bool, g.Nodes)
	for _, e := range g.Edges {
		has[e[0]] = true
	}
	return missing(has)
}

func missing(has []bool) []int {
	var out []int
	for i, h := range has {
		if !h {
			out = append(out, i)
		}
	}
	return out
}

// Kind is a random graph model of Sec. 3.2.
type Kind int

const (
	// ER is Erdős–Rényi ER(P): every pair of nodes is joined with
	// probability P, independently.
	ER Kind = iota
	// BA is Barabási–Albert BA(M): start with M nodes and no edges; add
	// nodes one at a time, each joined to M distinct existing nodes chosen
	// with probability proportional to their degree.
	BA
	// WS is Watts–Strogatz WS(K, P): a ring lattice whose nodes are joined
	// to their K/2 neighbours on each side, then every lattice edge
	// rewired with probability P.
	WS
)

var kindNames = [...]string{ER: "ER", BA: "BA", WS: "WS"}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) {
	if k < 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("randwire: unknown graph kind %d", int(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("randwire: unknown graph kind %q (want ER, BA or WS)", b)
}

// Generator is a stochastic graph generator of Sec. 3.2 with its
// parameters: ER(P), BA(M) or WS(K, P).
type Generator struct {
	Kind Kind    `json:"kind"`
	P    float64 `json:"p,omitempty"` // ER, WS
	M    int     `json:"m,omitempty"` // BA
	K    int     `json:"k,omitempty"` // WS
}

func (g Generator) String() string {
	switch g.Kind {
	case ER:
		return fmt.Sprintf("ER(%g)", g.P)
	case BA:
		return fmt.Sprintf("BA(%d)", g.M)
	case WS:
		return fmt.Sprintf("WS(%d, %g)", g.K, g.P)
	}
	return fmt.Sprintf("Generator(%d)", int(g.Kind))
}

// Validate reports parameters the paper's generators do not take for n
// nodes.
func (g Generator) Validate(n int) error {
	switch g.Kind {
	case ER:
		if n < 1 || g.P < 0 || g.P > 1 {
			return fmt.Errorf("randwire: %v on %d nodes: want n >= 1 and 0 <= P <= 1", g, n)
		}
	case BA:
		if g.M < 1 || g.M >= n {
			return fmt.Errorf("randwire: %v on %d nodes: want 1 <= M < N", g, n)
		}
	case WS:
		if g.K < 2 || g.K%2 != 0 || g.K >= n || g.P < 0 || g.P > 1 {
			return fmt.Errorf("randwire: %v on %d nodes: want an even K, 2 <= K < N, and 0 <= P <= 1", g, n)
		}
	default:
		return fmt.Errorf("randwire: unknown graph kind %d", int(g.Kind))
	}
	return nil
}

// Generate draws an n-node graph from g with rng and returns it as a DAG
// in the paper's index order. The same rng state gives the same graph.
func (g Generator) Generate(n int, rng *rand.Rand) (Graph, error) {
	if err := g.Validate(n); err != nil {
		return Graph{}, err
	}
	var edges [][2]int
	switch g.Kind {
	case ER:
		edges = erdosRenyi(n, g.P, rng)
	case BA:
		var err error
		if edges, err = barabasiAlbert(n, g.M, rng); err != nil {
			return Graph{}, err
		}
	case WS:
		edges = wattsStrogatz(n, g.K, g.P, rng)
	}
	return dag(n, edges), nil
}

// dag orients every undirected edge from the lower index to the higher
// (Sec. 3.2) and sorts the edges.
func dag(n int, undirected [][2]int) Graph {
	g := Graph{Nodes: n, Edges: make([][2]int, 0, len(undirected))}
	for _, e := range undirected {
		u, v := min(e[0], e[1]), max(e[0], e[1])
		g.Edges = append(g.Edges, [2]int{u, v})
	}
	slices.SortFunc(g.Edges, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return g
}

// edgesOf lists the edges of a gonum graph whose node IDs are 0..n-1.
func edgesOf(u *simple.UndirectedGraph) [][2]int {
	var out [][2]int
	it := u.Edges()
	for it.Next() {
		e := it.Edge()
		out = append(out, [2]int{int(e.From().ID()), int(e.To().ID())})
	}
	return out
}

// erdosRenyi is ER(P) (App. A of arXiv:1904.01569): "with probability P,
// two nodes are connected by an edge, independently of all other nodes and
// edges". gonum's gen.Gnp draws exactly this G(n, p) (by Batagelj and
// Brandes' geometric skipping over the pairs); its nodes are numbered in
// creation order, which has no meaning for ER, and the paper indexes ER
// nodes at random, so a uniform permutation drawn from the same rng gives
// the indices. (G(n, p) is exchangeable, so this does not change the
// distribution; it keeps the paper's procedure.)
func erdosRenyi(n int, p float64, rng *rand.Rand) [][2]int {
	u := simple.NewUndirectedGraph()
	if err := gen.Gnp(u, n, p, rng); err != nil {
		panic("randwire: gen.Gnp: " + err.Error()) // parameters are validated
	}
	perm := rng.Perm(n)
	edges := edgesOf(u)
	for i, e := range edges {
		edges[i] = [2]int{perm[e[0]], perm[e[1]]}
	}
	return edges
}

// barabasiAlbert is BA(M) (App. A): "the generator first creates M nodes
// without any edge. Then it sequentially adds a new node with M new edges.
// For a node to be added, it will connect to an existing node v with
// probability proportional to v's degree. The new node repeatedly adds
// non-duplicate edges in this way until it has M edges." Nodes are indexed
// in order of addition (Sec. 3.2). gonum's gen.PreferentialAttachment is
// this process: its first new node joins all M initial nodes (all degrees
// are 0; gonum gives them equal weight and, drawing M of M without
// replacement, takes all), and every later node draws M distinct
// neighbours without replacement with weights equal to the current
// degrees (sampleuv.Weighted.Take), which is the paper's "repeatedly adds
// non-duplicate edges" with probability proportional to degree. Its node
// IDs are the order of addition. (Its doc comment's "starting from an m
// order graph with one node having degree m-1" does not describe its code,
// which starts with M isolated nodes, as the paper.)
func barabasiAlbert(n, m int, rng *rand.Rand) ([][2]int, error) {
	u := simple.NewUndirectedGraph()
	if err := gen.PreferentialAttachment(u, n, m, rng); err != nil {
		return nil, fmt.Errorf("randwire: BA(%d) on %d nodes: %w", m, n, err)
	}
	return edgesOf(u), nil
}

// wattsStrogatz is WS(K, P) (App. A): "initially, the N nodes are
// regularly placed in a ring and each node is connected to its K/2
// neighbors on both sides. Then, in a clockwise loop, for every node v,
// the edge that connects v to its clockwise i-th next node is rewired with
// probability P. 'Rewiring' is defined as uniformly choosing a random
// target node that is not v and that does not create a duplicate edge.
// This loop is repeated K/2 times for 1 <= i <= K/2." Nodes are indexed
// clockwise around the ring (Sec. 3.2).
//
// gonum has no Watts–Strogatz generator: gen.SmallWorldsBB is Batagelj and
// Brandes' variant, which replaces lattice edges by edges drawn uniformly
// from all non-lattice pairs (neither end need be v) and returns no edges
// at all for p = 0, and gen.NavigableSmallWorld is Kleinberg's grid model.
// So this is the paper's procedure, written out. The uniform target is
// drawn from the list of valid targets (the same distribution as drawing
// nodes until one is valid). A node already joined to every other node has
// no valid target; the paper does not say what then happens, and its edge
// is kept (as networkx's watts_strogatz_graph does).
func wattsStrogatz(n, k int, p float64, rng *rand.Rand) [][2]int {
	adj := make([]map[int]bool, n)
	for v := range adj {
		adj[v] = map[int]bool{}
	}
	for v := range n {
		for i := 1; i <= k/2; i++ {
			w := (v + i) % n
			adj[v][w], adj[w][v] = true, true
		}
	}
	targets := make([]int, 0, n)
	for i := 1; i <= k/2; i++ {
		for v := range n {
			if rng.Float64() >= p {
				continue
			}
			targets = targets[:0]
			for w := range n {
				if w != v && !adj[v][w] {
					targets = append(targets, w)
				}
			}
			if len(targets) == 0 {
				continue
			}
			old, w := (v+i)%n, targets[rng.IntN(len(targets))]
			delete(adj[v], old)
			delete(adj[old], v)
			adj[v][w], adj[w][v] = true, true
		}
	}
	var edges [][2]int
	for v := range n {
		for w := range adj[v] {
			if v < w {
				edges = append(edges, [2]int{v, w})
			}
		}
	}
	return edges
}
