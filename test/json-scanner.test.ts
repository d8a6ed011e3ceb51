import {describe, expect, it} from 'vitest';
import {JsonLinesChecker, JsonValueScanner} from '../source/core/archive/json-scanner.js';

/** Scans `text` split into chunks at `cut`; the value's end index, or the error's message. */
function scanSplit(bytes: Buffer, cut: number): number | string {
	const scanner = new JsonValueScanner(8);
	try {
		const first = scanner.scan(bytes.subarray(0, cut), 0, cut);
		if (first !== -1) return first;
		const rest = bytes.subarray(cut);
		const second = scanner.scan(rest, 0, rest.length);
		if (second !== -1) return cut + second;
		return scanner.end() ? bytes.length : 'cut short';
	} catch (error) {
		return (error as Error).message;
	}
}

const VALID = ['0', '-0', '12.5e-3', '1E+2', '"a"', '"\\u00e9\\n\\"\\\\/"', '"é😀"', 'true', 'false', 'null', '[]', '{}', '[1,[2,{"a":[null]}]]', ' {"a" : 1 , "b":[ true ,false ] } '.trim(), '"\u2028"', '[-1.0e10]'];
const INVALID = ['01', '-', '1.', '1e', '+1', '.5', '"\u0001"', '"\\x"', '"\\u12g4"', 'tru', 'nul', '[1,]', '{"a"}', '{"a":1,}', '{1:2}', '[', '{', '"abc', ']', ' 1', "'a'", 'NaN', '[[[[[[[[[1]]]]]]]]]'];
const BAD_UTF8 = [Buffer.from([0x22, 0xc0, 0x80, 0x22]), Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), Buffer.from([0x22, 0xff, 0x22]), Buffer.from([0x22, 0xe2, 0x82, 0x22]), Buffer.from([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22])];

describe('JsonValueScanner', () => {
	it('finds the end of every valid value, whatever the chunking; the same as JSON.parse', () => {
		for (const text of VALID) {
			expect(() => JSON.parse(text)).not.toThrow();
			const bytes = Buffer.from(text);
			for (let cut = 1; cut <= bytes.length; cut++) expect(scanSplit(bytes, cut), `${text} cut at ${cut}`).toBe(bytes.length);
		}
	});

	it('stops exactly at the end of a value followed by more bytes (a number at the first byte after it)', () => {
		for (const [text, end] of [['12,3', 2], ['"a"x', 3], ['{}]', 2], ['true\n', 4], ['-3.5\n', 4]] as const) {
			const bytes = Buffer.from(text);
			for (let cut = 1; cut <= bytes.length; cut++) expect(scanSplit(bytes, cut), `${text} cut at ${cut}`).toBe(end);
		}
	});

	it('refuses invalid JSON, invalid UTF-8 and nesting past the bound, at any chunking', () => {
		for (const input of [...INVALID.map(text => Buffer.from(text)), ...BAD_UTF8]) {
			for (let cut = 1; cut <= input.length; cut++) {
				const result = scanSplit(input, cut);
				expect(typeof result === 'string' || result !== input.length, `${input.toString('latin1')} cut at ${cut}: ${result}`).toBe(true);
			}
		}
		expect(scanSplit(Buffer.from('[[[[[[[[[1]]]]]]]]]'), 3)).toMatch(/nested deeper than 8 levels/);
		expect(scanSplit(BAD_UTF8[1]!, 2)).toMatch(/invalid UTF-8/);
	});

	it('scans a 50 MB string in linear time and constant memory', () => {
		const scanner = new JsonValueScanner();
		const chunk = Buffer.alloc(1024 * 1024, 0x61);
		expect(scanner.scan(Buffer.from('"'), 0, 1)).toBe(-1);
		const started = Date.now();
		for (let index = 0; index < 50; index++) expect(scanner.scan(chunk, 0, chunk.length)).toBe(-1);
		expect(scanner.end()).toBe(false);
		expect(Date.now() - started).toBeLessThan(5000);
	});
});

describe('JsonLinesChecker', () => {
	const check = (text: string | Buffer, max = 100) => {
		const checker = new JsonLinesChecker(max);
		const bytes = Buffer.from(text);
		try {
			for (let index = 0; index < bytes.length; index += 3) checker.push(bytes.subarray(index, index + 3));
			checker.end();
			return 'ok';
		} catch (error) {
			return (error as Error).message;
		}
	};

	it('accepts JSON lines each ended by a newline, and an empty file', () => {
		expect(check('{"a":1}\n[2]\n3\n"x"\n')).toBe('ok');
		expect(check('')).toBe('ok');
	});

	it('refuses what a lines array cannot carry exactly', () => {
		expect(check('{"a":1}')).toMatch(/no "\\n"/);
		expect(check('12')).toMatch(/no "\\n"/);
		expect(check('1\n\n2\n')).toMatch(/unexpected/);
		expect(check(' 1\n')).toMatch(/unexpected/);
		expect(check('1 \n')).toMatch(/more than one JSON value/);
		expect(check('1\r\n')).toMatch(/more than one JSON value/);
		expect(check('1 2\n')).toMatch(/more than one JSON value/);
		expect(check('"abc\n')).toMatch(/control character/);
		expect(check(`"${'x'.repeat(200)}"\n`)).toMatch(/longer than 100 bytes/);
		expect(check(Buffer.from([0x22, 0xff, 0x22, 0x0a]))).toMatch(/UTF-8/);
	});
});
