package dataset_test

import (
	"fmt"

	"github.com/goautoml/automl/dataset"
)

func ExampleReadBytes() {
	data := []byte("id;amount;paid;when;label\n" +
		"a1;1,5;yes;2024-01-02;good\n" +
		"a2;NA;no;2024-01-03;bad\n" +
		"a3;2,25;yes;2024-01-04;good\n")
	f, err := dataset.ReadBytes("loans.csv", data, dataset.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("delimiter %q, decimal comma %v\n", f.Delimiter, f.DecimalComma)
	for _, c := range f.Columns {
		fmt.Println(c.Name, c.Kind, c.Num)
	}
	// Output:
	// delimiter ';', decimal comma true
	// id id []
	// amount numeric [1.5 NaN 2.25]
	// paid boolean [1 0 1]
	// when datetime [1.7041536e+09 1.70424e+09 1.7043264e+09]
	// label categorical []
}

func ExampleReadBytes_error() {
	_, err := dataset.ReadBytes("loans.csv", []byte("id,amount\n1,10\n2,20,30\n"), dataset.Options{})
	fmt.Println(err)
	// Output:
	// loans.csv:3: column "amount": the row has 3 fields but the header has 2: expected no field after the last column "amount" (a value containing ',' must be quoted)
}
