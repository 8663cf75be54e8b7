// Package dataset reads data files into typed, columnar frames, profiles
// them, and splits their rows for training, validation and test.
//
// Formats are registered (RegisterFormat) and told apart by their first
// bytes: delimited text (the fallback), gzip-compressed delimited text and
// Parquet; a directory is read as the Parquet part files of one table.
// Reading streams the input, keeps numbers as float64 and strings as
// dictionary codes (Column.String gives back each cell's text), and can be
// bounded (Options.MaxBytes, MaxRecordBytes), cancelled (ReadContext) and
// watched (Options.Progress).
//
// Reading detects the dialect (delimiter among , ; tab |, quoting, UTF-8 BOM,
// CRLF, decimal comma with ;), recognises missing markers, and infers each
// column's Kind from all of its rows. Every error a user's file can cause
// names the file, the line, the column and what was expected.
//
// # Dialect
//
// The delimiter is the candidate (, ; tab |) whose first 50 records, split
// with quotes respected, all have the header's field count (ties: more
// fields, then that order). Fields follow RFC 4180: quoted fields may hold
// delimiters, doubled quotes and line breaks. White space around a field is
// dropped, a quote inside an unquoted field is kept as a character, and blank
// lines are skipped. LF, CRLF and CR-only line endings are read. The encoding
// is detected from the first window (1 MB): a UTF-8 BOM is dropped, UTF-16
// (with a BOM, or ASCII text with zero bytes) and Windows-1252 (invalid
// UTF-8, no NUL) are decoded; past that window NUL bytes and invalid UTF-8
// are errors naming line and column. Delimiter detection and the CR-only
// check look at the first window (at least 64 lines when they fit in 16 MB).
//
// Missing markers are an empty or blank cell, "?", and NA, N/A, NaN, null in
// any letter case. Sentinel words such as "unknown" are values.
//
// # Kinds
//
// A column's kind is decided from all its present (non-missing) cells, in
// this order:
//
//   - No present cell: Categorical.
//   - Every cell a number ([+-]digits[.digits][e±digits]; thousands
//     separators, Inf, hex are not numbers): Numeric, except that exactly the
//     two values 0 and 1 make it Boolean, and distinct integers with no
//     missing cell make it ID when the name reads like an identifier (see
//     IDName) or, with at least 20 rows, when they form a run lo..lo+n-1.
//     With the ; delimiter, decimal commas (1,5) are read when the column
//     never also uses a decimal point; Frame.DecimalComma is then set.
//   - Every cell one boolean spelling family (true/false, yes/no, t/f, y/n; any
//     case; one or both words present): Boolean.
//   - Every cell a date in one family: ISO 8601 (2006-01-02, with optional
//     time "15:04[:05]" after a space or T, fractional seconds, zone), day
//     first 02/01/2006 or 02.01.2006, month first 01/02/2006, or named months
//     (2-Jan-2006, 2 Jan 2006, Jan 2, 2006). A column whose days never
//     exceed 12 is ambiguous and read day-first. Values are Unix seconds UTC.
//   - Strings unique in every row (no missing cell): ID when the name reads
//     like an identifier, or with at least 20 rows when no value holds a space
//     (codes such as "7590-VHVEG").
//   - Strings mostly distinct (>= 50%), long (mean >= 20 bytes) and mostly
//     holding spaces (>= 50%): Text.
//   - Anything else: Categorical.
//
// Coded categoricals (German Credit's small integers) stay Numeric; the
// profile flags integer columns with at most 10 distinct values with the
// few_distinct_numeric alert, and categorical columns whose present values
// are at least 80% numbers with numbers_as_strings.
package dataset
