package autograd

var normCases = []opCase{}

var stochasticCases = []opCase{}
