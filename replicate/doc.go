// Package replicate is the harness that re-runs papers: a recipe (every
// hyper-parameter with the paper's value, ours and the reason for each
// reduction), a training loop with evaluation, early stopping, checkpoints
// and exact resume, runs saved with their provenance, claims evaluated over
// seeds (PASS / FAIL / INCONCLUSIVE, never best-of-N), and reports.
//
// Every random stream of a run is a function of (seed, epoch, step): the
// data order and augmentations (engine/data's Loader), dropout and
// drop-path masks, and mixing. A run resumed from a checkpoint therefore
// computes the same bits as one that never stopped.
package replicate
