package replicate

// pinnedLosses are the epoch-mean training losses of TestPinnedLossTrajectory
// (resnet18_r28, synthetic data, seed 7), as this code computed them when
// the test was written.
var pinnedLosses = []float64{2.3330771684646607, 2.3154173374176024, 2.2816619157791136}
