package web

import "strconv"

func init() { funcs["plural"] = plural }

// plural writes n and the noun, with an s unless n is 1: "1 row", "2 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
