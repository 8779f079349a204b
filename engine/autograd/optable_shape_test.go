package autograd

var shapeCases = []opCase{}
