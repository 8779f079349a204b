package tensor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBroadcastShapes(t *testing.T) {
	for _, c := range []struct {
		a, b, want []int
		ok         bool
	}{
		{[]int{2, 3}, []int{3}, []int{2, 3}, true},
		{[]int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}, true},
		{[]int{}, []int{5}, []int{5}, true},
		{[]int{2, 3}, []int{2}, nil, false},
	} {
		got, ok := BroadcastShapes(c.a, c.b)
		if ok != c.ok || !cmp.Equal(got, c.want) {
			t.Errorf("BroadcastShapes(%v,%v) = %v,%v; want %v,%v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}

func TestReshapeInfer(t *testing.T) {
	x := New(2, 3, 4)
	if got := x.Reshape(4, -1).Shape; !cmp.Equal(got, []int{4, 6}) {
		t.Fatalf("Reshape(4,-1) = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Reshape(5,-1) of 24 elements did not panic")
		}
	}()
	x.Reshape(5, -1)
}

func TestSeededFillsRepeat(t *testing.T) {
	a := Randn(NewRand(7), 1, 3, 5)
	b := Randn(NewRand(7), 1, 3, 5)
	c := Randn(NewRand(8), 1, 3, 5)
	if !BitEqual(a, b) || BitEqual(a, c) {
		t.Fatal("Randn is not a function of its seed")
	}
	if m := Meta(1000, 1000, 1000); !m.IsMeta() || m.Numel() != 1e9 {
		t.Fatal("meta tensor allocated or miscounted")
	}
	if Strides([]int{2, 3, 4})[0] != 12 {
		t.Fatal("Strides")
	}
}
