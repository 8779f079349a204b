package autograd

var elementwiseCases = []opCase{}

var reduceCases = []opCase{}
