package notebookgen

import "strconv"

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
