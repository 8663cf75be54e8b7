package dataset

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Encodings of delimited text that reading detects (Frame.Encoding).
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF8BOM     = "utf-8-bom"
	EncodingUTF16LE     = "utf-16le"
	EncodingUTF16BE     = "utf-16be"
	EncodingWindows1252 = "windows-1252"
)

// Encodings lists the names Options.Encoding accepts.
var Encodings = []string{EncodingUTF8, EncodingUTF8BOM, EncodingUTF16LE, EncodingUTF16BE, EncodingWindows1252}

// namedEncoding is the encoding called name, and the bytes of its byte order
// mark at the start of head (0 when absent).
func namedEncoding(name string, head []byte) (encoding, int, bool) {
	switch strings.ToLower(name) {
	case "latin-1", "latin1", "iso-8859-1":
		name = EncodingWindows1252
	}
	detected, skip := detectEncoding(head, true)
	bom := func(mark string) int {
		if bytes.HasPrefix(head, []byte(mark)) {
			return len(mark)
		}
		return 0
	}
	switch strings.ToLower(name) {
	case EncodingUTF8, EncodingUTF8BOM:
		return encoding{name: detectedName(detected, skip, name)}, bom("\xef\xbb\xbf"), true
	case EncodingUTF16LE, EncodingUTF16BE:
		order, mark := unicode.LittleEndian, "\xff\xfe"
		if name == EncodingUTF16BE {
			order, mark = unicode.BigEndian, "\xfe\xff"
		}
		return encoding{name, func(r io.Reader) io.Reader {
			return unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder().Reader(r)
		}}, bom(mark), true
	case EncodingWindows1252:
		return encoding{EncodingWindows1252, func(r io.Reader) io.Reader {
			return charmap.Windows1252.NewDecoder().Reader(r)
		}}, 0, true
	}
	return encoding{}, 0, false
}

// detectedName names forced UTF-8 as the file is: with or without its mark.
func detectedName(d encoding, skip int, name string) string {
	if d.name == EncodingUTF8BOM && skip == 3 {
		return EncodingUTF8BOM
	}
	if name == EncodingUTF8BOM {
		return EncodingUTF8
	}
	return name
}

type encoding struct {
	name    string
	decoder func(io.Reader) io.Reader // nil for UTF-8
}

// detectEncoding tells the encoding of text from its first bytes (head; all
// of the input when eof) and how many bytes of byte order mark to skip:
//   - a byte order mark: UTF-8, UTF-16 LE or BE;
//   - no mark, but the first two characters ASCII with a zero high (or low)
//     byte: UTF-16 LE (BE);
//   - no NUL byte and invalid UTF-8 in head: Windows-1252 (what Excel writes
//     in western Europe; Latin-1 is a subset but for its C1 control codes);
//   - otherwise UTF-8 (invalid bytes further on are then errors).
func detectEncoding(head []byte, eof bool) (encoding, int) {
	utf16 := func(name string, order unicode.Endianness) encoding {
		return encoding{name, func(r io.Reader) io.Reader {
			return unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder().Reader(r)
		}}
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		return encoding{name: EncodingUTF8BOM}, 3
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		return utf16(EncodingUTF16LE, unicode.LittleEndian), 2
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return utf16(EncodingUTF16BE, unicode.BigEndian), 2
	case len(head) >= 4 && head[0] != 0 && head[0] < 0x80 && head[1] == 0 && head[2] != 0 && head[2] < 0x80 && head[3] == 0:
		return utf16(EncodingUTF16LE, unicode.LittleEndian), 0
	case len(head) >= 4 && head[0] == 0 && head[1] != 0 && head[1] < 0x80 && head[2] == 0 && head[3] != 0 && head[3] < 0x80:
		return utf16(EncodingUTF16BE, unicode.BigEndian), 0
	}
	if bytes.IndexByte(head, 0) < 0 {
		end := len(head)
		if !eof { // a rune cut by the end of head is not evidence
			for k := 1; k <= 3 && end-k >= 0; k++ {
				if utf8.RuneStart(head[end-k]) {
					if !utf8.FullRune(head[end-k:]) {
						end -= k
					}
					break
				}
			}
		}
		if !utf8.Valid(head[:end]) {
			return encoding{EncodingWindows1252, func(r io.Reader) io.Reader {
				return charmap.Windows1252.NewDecoder().Reader(r)
			}}, 0
		}
	}
	return encoding{name: EncodingUTF8}, 0
}
