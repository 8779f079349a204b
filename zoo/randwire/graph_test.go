package randwire

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func draw(t *testing.T, g Generator, n int, seed uint64) Graph {
	t.Helper()
	out, err := g.Generate(n, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatalf("%v on %d nodes: %v", g, n, err)
	}
	if err := out.Validate(); err != nil {
		t.Fatalf("%v on %d nodes: %v", g, n, err)
	}
	return out
}

func edgeSet(g Graph) map[[2]int]bool {
	s := map[[2]int]bool{}
	for _, e := range g.Edges {
		s[e] = true
	}
	return s
}

func degrees(g Graph) []int {
	d := make([]int, g.Nodes)
	for _, e := range g.Edges {
		d[e[0]]++
		d[e[1]]++
	}
	return d
}

// TestWSLattice: WS(K, 0) is the ring lattice, each node joined to its K/2
// neighbours on each side, numbered clockwise.
func TestWSLattice(t *testing.T) {
	g := draw(t, Generator{Kind: WS, K: 4, P: 0}, 10, 1)
	want := map[[2]int]bool{}
	for v := range 10 {
		for i := 1; i <= 2; i++ {
			w := (v + i) % 10
			want[[2]int{min(v, w), max(v, w)}] = true
		}
	}
	if !reflect.DeepEqual(edgeSet(g), want) {
		t.Errorf("WS(4, 0) edges %v, want the ring lattice %v", g.Edges, want)
	}
	// The DAG of the lattice: node 0 is the only input; 8 and 9 have no
	// successors.
	if in, out := fmt.Sprint(g.Inputs()), fmt.Sprint(g.Outputs()); in != "[0]" || out != "[9]" {
		t.Errorf("inputs %s, outputs %s; want [0], [9]", in, out)
	}
}

// TestWSRewiring: rewiring keeps N·K/2 edges, never makes a self-loop or a
// duplicate (Validate), keeps v as an end of each edge it rewires (so every
// node keeps degree >= K/2), and rewires about a fraction P of the lattice
// edges.
func TestWSRewiring(t *testing.T) {
	const n, k = 200, 4
	for _, p := range []float64{0.25, 0.75} {
		var gone, total int
		for seed := range uint64(20) {
			g := draw(t, Generator{Kind: WS, K: k, P: p}, n, seed)
			if len(g.Edges) != n*k/2 {
				t.Fatalf("WS(%d, %g) seed %d: %d edges, want %d", k, p, seed, len(g.Edges), n*k/2)
			}
			for v, d := range degrees(g) {
				if d < k/2 {
					t.Fatalf("WS(%d, %g) seed %d: node %d has degree %d", k, p, seed, v, d)
				}
			}
			es := edgeSet(g)
			for v := range n {
				for i := 1; i <= k/2; i++ {
					w := (v + i) % n
					total++
					if !es[[2]int{min(v, w), max(v, w)}] {
						gone++
					}
				}
			}
		}
		// A rewired edge comes back only if a later rewiring picks it
		// (probability O(K/N)), so about a fraction P of the lattice edges
		// is gone (8000 edges: sampling sd < 0.006).
		if f := float64(gone) / float64(total); math.Abs(f-p) > 0.025 {
			t.Errorf("WS(%d, %g): %.3f of the lattice edges rewired", k, p, f)
		}
	}
	// A node joined to every other node keeps its edges: WS(4, 1) on 5
	// nodes is the complete graph, nothing can be rewired.
	if g := draw(t, Generator{Kind: WS, K: 4, P: 1}, 5, 3); len(g.Edges) != 10 {
		t.Errorf("WS(4, 1) on 5 nodes: %d edges, want the 10 of K5", len(g.Edges))
	}
}

// TestBA: BA(M) starts with M isolated nodes; node M joins all of them and
// every later node joins exactly M earlier nodes (indices are the order of
// addition, so each node after the first M has M predecessors).
func TestBA(t *testing.T) {
	const n, m = 32, 5
	for seed := range uint64(5) {
		g := draw(t, Generator{Kind: BA, M: m}, n, seed)
		if len(g.Edges) != m*(n-m) {
			t.Fatalf("seed %d: %d edges, want M(N-M) = %d", seed, len(g.Edges), m*(n-m))
		}
		for j, p := range g.Preds() {
			want := m
			if j < m {
				want = 0
			}
			if len(p) != want {
				t.Errorf("seed %d: node %d has %d predecessors, want %d", seed, j, len(p), want)
			}
			if j == m && fmt.Sprint(p) != "[0 1 2 3 4]" {
				t.Errorf("seed %d: node M joins %v, want all M initial nodes", seed, p)
			}
		}
	}
}

// TestBAPreferential checks the attachment probabilities: BA(2) on 4
// nodes. Node 2 joins 0 and 1, so the degrees are (1, 1, 2); node 3 draws 2
// distinct nodes with probability proportional to degree, and misses node 2
// with probability 1/4·1/3 + 1/4·1/3 = 1/6 (1/3 if the draw were uniform).
func TestBAPreferential(t *testing.T) {
	const trials = 6000
	miss := 0
	for seed := range uint64(trials) {
		g := draw(t, Generator{Kind: BA, M: 2}, 4, seed)
		if !edgeSet(g)[[2]int{2, 3}] {
			miss++
		}
	}
	f := float64(miss) / trials
	sd := math.Sqrt(1.0 / 6 * 5 / 6 / trials)
	if math.Abs(f-1.0/6) > 4*sd {
		t.Errorf("node 3 misses node 2 in %.4f of the graphs, want 1/6 ± %.4f", f, 4*sd)
	}
}

// TestER: ER(0) has no edges, ER(1) all; ER(P) has P·N(N-1)/2 edges on
// average.
func TestER(t *testing.T) {
	if g := draw(t, Generator{Kind: ER, P: 0}, 12, 1); len(g.Edges) != 0 {
		t.Errorf("ER(0): %d edges", len(g.Edges))
	}
	if g := draw(t, Generator{Kind: ER, P: 1}, 12, 1); len(g.Edges) != 66 {
		t.Errorf("ER(1): %d edges, want 66", len(g.Edges))
	}
	const n, p, graphs = 32, 0.2, 400
	sum := 0
	for seed := range uint64(graphs) {
		sum += len(draw(t, Generator{Kind: ER, P: p}, n, seed).Edges)
	}
	pairs := float64(n * (n - 1) / 2)
	mean, sd := float64(sum)/graphs, math.Sqrt(pairs*p*(1-p)/graphs)
	if math.Abs(mean-p*pairs) > 4*sd {
		t.Errorf("ER(%g) on %d nodes: %.2f edges on average, want %.1f ± %.2f", p, n, mean, p*pairs, 4*sd)
	}
}

// TestGenerateDeterministic: the same source state gives the same graph,
// another seed another graph, for every generator.
func TestGenerateDeterministic(t *testing.T) {
	for _, g := range []Generator{{Kind: ER, P: 0.2}, {Kind: BA, M: 5}, ws475} {
		a, b, c := draw(t, g, 32, 7), draw(t, g, 32, 7), draw(t, g, 32, 8)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%v: seed 7 gives two graphs", g)
		}
		if reflect.DeepEqual(a, c) {
			t.Errorf("%v: seeds 7 and 8 give the same graph", g)
		}
	}
}

func TestGeneratorValidate(t *testing.T) {
	for _, tc := range []struct {
		g Generator
		n int
	}{
		{Generator{Kind: ER, P: 1.5}, 8},
		{Generator{Kind: ER, P: 0.5}, 0},
		{Generator{Kind: BA, M: 0}, 8},
		{Generator{Kind: BA, M: 8}, 8},
		{Generator{Kind: WS, K: 3, P: 0.5}, 8},
		{Generator{Kind: WS, K: 8, P: 0.5}, 8},
		{Generator{Kind: WS, K: 4, P: -0.1}, 8},
		{Generator{Kind: Kind(7)}, 8},
	} {
		if _, err := tc.g.Generate(tc.n, rand.New(rand.NewPCG(1, 0))); err == nil {
			t.Errorf("%v on %d nodes: no error", tc.g, tc.n)
		}
	}
	var k Kind
	if err := k.UnmarshalText([]byte("XY")); err == nil {
		t.Error("kind XY accepted")
	}
	for _, want := range []Kind{ER, BA, WS} {
		b, err := want.MarshalText()
		if err != nil || k.UnmarshalText(b) != nil || k != want {
			t.Errorf("kind %d does not round-trip through %q", want, b)
		}
	}
}

func TestGraphValidate(t *testing.T) {
	for _, tc := range []struct {
		g    Graph
		want string
	}{
		{Graph{Nodes: 0}, "0 nodes"},
		{Graph{Nodes: 3, Edges: [][2]int{{1, 0}}}, "lower to a higher"},
		{Graph{Nodes: 3, Edges: [][2]int{{1, 1}}}, "lower to a higher"},
		{Graph{Nodes: 3, Edges: [][2]int{{0, 3}}}, "lower to a higher"},
		{Graph{Nodes: 3, Edges: [][2]int{{0, 2}, {0, 2}}}, "twice"},
	} {
		if err := tc.g.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%v) = %v, want an error with %q", tc.g, err, tc.want)
		}
	}
}
