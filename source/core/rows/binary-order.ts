/**
 * SQLite's BINARY order of two TEXT values (memcmp of their UTF-8 bytes), for JavaScript strings:
 * UTF-8 byte order is code point order, which is UTF-16 code unit order except that surrogates
 * (code points past U+FFFF) sort after U+E000..U+FFFF. A strict total order of strings: two
 * different strings never compare equal (a lone surrogate ranks as its own code unit).
 */
export function compareBinaryText(a: string, b: string): number {
	if (a === b) return 0;
	const length = Math.min(a.length, b.length);
	for (let index = 0; index < length; index++) {
		const x = a.charCodeAt(index);
		const y = b.charCodeAt(index);
		if (x !== y) return codePointRank(x) - codePointRank(y);
	}
	return a.length - b.length;
}

function codePointRank(unit: number): number {
	if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
	if (unit >= 0xe000) return unit - 0x800;
	return unit;
}
