package data

import "math/rand/v2"

// NewTestRand is a seeded generator for tests.
func NewTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }
