// Package dataset reads delimited text files into typed, columnar frames,
// profiles them, and splits their rows for training, validation and test.
//
// Reading detects the dialect (delimiter among , ; tab |, quoting, UTF-8 BOM,
// CRLF, decimal comma with ;), recognises missing markers, and infers each
// column's Kind from all of its rows. Every error a user's file can cause
// names the file, the line, the column and what was expected.
package dataset
