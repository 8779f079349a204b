package autograd

var convCases = []opCase{}

var poolCases = []opCase{}

var resizeCases = []opCase{}
