package vet

import "strings"

// Unitchecker reports whether args (without the program name) are the go
// command's calls of a vet or fix tool: -V=full, -flags, or flags followed
// by a single *.cfg file. Anything else is one of txscope's own commands.
func Unitchecker(args []string) bool {
	if len(args) == 1 && (args[0] == "-flags" || strings.HasPrefix(args[0], "-V=")) {
		return true
	}
	if len(args) == 0 || !strings.HasSuffix(args[len(args)-1], ".cfg") {
		return false
	}
	for _, a := range args[:len(args)-1] {
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return true
}
