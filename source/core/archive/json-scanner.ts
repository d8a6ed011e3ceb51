/**
 * A byte-level JSON value scanner for the single-file JSON bundle (json-bundle-*.ts): it finds
 * where one JSON value ends in a stream of bytes, chunk by chunk, without building anything.
 * It checks the full grammar (RFC 8259), UTF-8 inside strings (no overlongs, no surrogates) and a
 * nesting bound, in one pass (work linear in the input, memory constant: the nesting stack only).
 * The writer uses the same scanner to decide what it may write as raw JSON, so whatever it writes
 * as a `lines` element, the reader accepts.
 */

/** Deepest nesting of a value in a bundle (a table row nests a few levels; metadata ~5). */
export const BUNDLE_MAX_DEPTH = 64;

/** A JSON syntax or encoding fault at `index` of the chunk being scanned. */
export class JsonSyntaxError extends Error {
	constructor(
		message: string,
		readonly index: number,
	) {
		super(message);
	}
}

const enum S {
	Value,
	ObjectFirstKey,
	ObjectKey,
	Colon,
	ObjectCommaOrEnd,
	ArrayFirstValue,
	ArrayCommaOrEnd,
	String,
	Escape,
	Unicode,
	Utf8,
	Minus,
	Zero,
	Int,
	FractionStart,
	Fraction,
	ExponentStart,
	ExponentSign,
	Exponent,
	Literal,
	Done,
}

const OBJECT = 1;
const ARRAY = 2;
const LITERALS: Record<number, Buffer> = {0x74: Buffer.from('true'), 0x66: Buffer.from('false'), 0x6e: Buffer.from('null')};

const isWhitespace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
const isDigit = (byte: number) => byte >= 0x30 && byte <= 0x39;
const isHex = (byte: number) => isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);

function describe(byte: number): string {
	return byte >= 0x21 && byte <= 0x7e ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

export class JsonValueScanner {
	private state = S.Value;
	private readonly stack: Uint8Array;
	private depth = 0;
	/** String: the escape's hex digits left, or UTF-8 continuation bytes left and the next one's range. */
	private left = 0;
	private low = 0x80;
	private high = 0xbf;
	/** Literal: its bytes and how many matched. */
	private literal: Buffer = LITERALS[0x74]!;
	private matched = 0;
	/** Whether the value in hand is a string that is an object's key. */
	private keyString = false;

	constructor(private readonly maxDepth = BUNDLE_MAX_DEPTH) {
		this.stack = new Uint8Array(maxDepth + 1);
	}

	/** Ready for the next value. */
	reset(): void {
		this.state = S.Value;
		this.depth = 0;
		this.keyString = false;
	}

	get done(): boolean {
		return this.state === S.Done;
	}

	/**
	 * Scans `buffer[start, end)`. Returns the index just past the value's last byte once the value is
	 * complete (a number ends at the first byte that cannot continue it, which is not consumed), or
	 * -1 when every byte was consumed and the value goes on. The value must begin at `start` on the
	 * first call (no whitespace before it). Throws {@link JsonSyntaxError}.
	 */
	scan(buffer: Buffer, start: number, end: number): number {
		let index = start;
		while (index < end) {
			const byte = buffer[index]!;
			switch (this.state) {
				case S.String: {
					// The hot loop: plain ASCII until a quote, a backslash, a control or a high byte.
					while (index < end) {
						const b = buffer[index]!;
						if (b === 0x22) break;
						if (b === 0x5c || b < 0x20 || b >= 0x80) break;
						index++;
					}
					if (index === end) return -1;
					const b = buffer[index]!;
					if (b === 0x22) {
						index++;
						if (this.keyString) {
							this.keyString = false;
							this.state = S.Colon;
						} else if (this.closeValue()) return index;
						continue;
					}
					if (b === 0x5c) this.state = S.Escape;
					else if (b < 0x20) throw new JsonSyntaxError(`control character ${describe(b)} inside a string`, index);
					else this.startUtf8(b, index);
					index++;
					continue;
				}
				case S.Escape:
					if (byte === 0x75) {
						this.state = S.Unicode;
						this.left = 4;
					} else if (byte === 0x22 || byte === 0x5c || byte === 0x2f || byte === 0x62 || byte === 0x66 || byte === 0x6e || byte === 0x72 || byte === 0x74) {
						this.state = S.String;
					} else throw new JsonSyntaxError(`invalid escape (${describe(byte)} after '\\')`, index);
					index++;
					continue;
				case S.Unicode:
					if (!isHex(byte)) throw new JsonSyntaxError(`invalid \\u escape (${describe(byte)})`, index);
					if (--this.left === 0) this.state = S.String;
					index++;
					continue;
				case S.Utf8:
					if (byte < this.low || byte > this.high) throw new JsonSyntaxError('invalid UTF-8 inside a string', index);
					this.low = 0x80;
					this.high = 0xbf;
					if (--this.left === 0) this.state = S.String;
					index++;
					continue;
				case S.Literal:
					if (byte !== this.literal[this.matched]) throw new JsonSyntaxError(`unexpected ${describe(byte)}`, index);
					index++;
					if (++this.matched === this.literal.length && this.closeValue()) return index;
					continue;
				case S.Minus:
				case S.Zero:
				case S.Int:
				case S.FractionStart:
				case S.Fraction:
				case S.ExponentStart:
				case S.ExponentSign:
				case S.Exponent:
					if (this.number(byte, index)) {
						index++;
						continue;
					}
					// The number ended before this byte, which is scanned again in the state after it.
					if (this.closeValue()) return index;
					continue;
				case S.Done:
					return index;
				default:
					if (isWhitespace(byte) && (this.depth > 0 || this.state !== S.Value)) {
						index++;
						continue;
					}
					this.structural(byte, index);
					index++;
					if ((this.state as S) === S.Done) return index;
			}
		}
		return -1;
	}

	/**
	 * The input ended: true when the value is complete (a number at top level ends with the input),
	 * false when it is cut short.
	 */
	end(): boolean {
		if (this.depth === 0 && (this.state === S.Zero || this.state === S.Int || this.state === S.Fraction || this.state === S.Exponent)) {
			this.state = S.Done;
		}
		return this.state === S.Done;
	}

	private startUtf8(lead: number, index: number): void {
		this.state = S.Utf8;
		if (lead >= 0xc2 && lead <= 0xdf) this.left = 1;
		else if (lead >= 0xe0 && lead <= 0xef) {
			this.left = 2;
			if (lead === 0xe0) this.low = 0xa0;
			else if (lead === 0xed) this.high = 0x9f;
		} else if (lead >= 0xf0 && lead <= 0xf4) {
			this.left = 3;
			if (lead === 0xf0) this.low = 0x90;
			else if (lead === 0xf4) this.high = 0x8f;
		} else throw new JsonSyntaxError('invalid UTF-8 inside a string', index);
	}

	/** A byte of a number: true if it continues it, false if the number ended before it. */
	private number(byte: number, index: number): boolean {
		const digit = isDigit(byte);
		switch (this.state) {
			case S.Minus:
				if (!digit) throw new JsonSyntaxError(`invalid number (${describe(byte)} after '-')`, index);
				this.state = byte === 0x30 ? S.Zero : S.Int;
				return true;
			case S.Zero:
			case S.Int:
				if (digit) {
					if (this.state === S.Zero) throw new JsonSyntaxError('invalid number (leading zero)', index);
					return true;
				}
				if (byte === 0x2e) this.state = S.FractionStart;
				else if (byte === 0x65 || byte === 0x45) this.state = S.ExponentStart;
				else return false;
				return true;
			case S.FractionStart:
				if (!digit) throw new JsonSyntaxError('invalid number (no digit after the point)', index);
				this.state = S.Fraction;
				return true;
			case S.Fraction:
				if (digit) return true;
				if (byte === 0x65 || byte === 0x45) {
					this.state = S.ExponentStart;
					return true;
				}
				return false;
			case S.ExponentStart:
				if (byte === 0x2b || byte === 0x2d) {
					this.state = S.ExponentSign;
					return true;
				}
			// falls through
			case S.ExponentSign:
				if (!digit) throw new JsonSyntaxError('invalid number (no digit in the exponent)', index);
				this.state = S.Exponent;
				return true;
			default:
				if (digit) return true;
				return false;
		}
	}

	/** A byte outside strings, numbers and literals. */
	private structural(byte: number, index: number): void {
		switch (this.state) {
			case S.Value:
			case S.ArrayFirstValue:
				if (this.state === S.ArrayFirstValue && byte === 0x5d) {
					this.depth--;
					this.closeValue();
					return;
				}
				this.startValue(byte, index);
				return;
			case S.ObjectFirstKey:
			case S.ObjectKey:
				if (this.state === S.ObjectFirstKey && byte === 0x7d) {
					this.depth--;
					this.closeValue();
					return;
				}
				if (byte !== 0x22) throw new JsonSyntaxError(`expected a key, found ${describe(byte)}`, index);
				this.keyString = true;
				this.state = S.String;
				return;
			case S.Colon:
				if (byte !== 0x3a) throw new JsonSyntaxError(`expected ':', found ${describe(byte)}`, index);
				this.state = S.Value;
				return;
			case S.ObjectCommaOrEnd:
			case S.ArrayCommaOrEnd: {
				const object = this.state === S.ObjectCommaOrEnd;
				if (byte === 0x2c) this.state = object ? S.ObjectKey : S.Value;
				else if (byte === (object ? 0x7d : 0x5d)) {
					this.depth--;
					this.closeValue();
				} else throw new JsonSyntaxError(`expected ',' or '${object ? '}' : ']'}', found ${describe(byte)}`, index);
				return;
			}
			default:
				throw new JsonSyntaxError(`unexpected ${describe(byte)}`, index);
		}
	}

	private startValue(byte: number, index: number): void {
		if (byte === 0x22) this.state = S.String;
		else if (byte === 0x7b || byte === 0x5b) {
			if (this.depth >= this.maxDepth) throw new JsonSyntaxError(`nested deeper than ${this.maxDepth} levels`, index);
			this.stack[++this.depth] = byte === 0x7b ? OBJECT : ARRAY;
			this.state = byte === 0x7b ? S.ObjectFirstKey : S.ArrayFirstValue;
		} else if (byte === 0x2d) this.state = S.Minus;
		else if (isDigit(byte)) this.state = byte === 0x30 ? S.Zero : S.Int;
		else if (LITERALS[byte]) {
			this.literal = LITERALS[byte]!;
			this.matched = 1;
			this.state = S.Literal;
		} else throw new JsonSyntaxError(`unexpected ${describe(byte)}`, index);
	}

	/** A value ended: true when it was the outermost one. */
	private closeValue(): boolean {
		if (this.depth === 0) {
			this.state = S.Done;
			return true;
		}
		this.state = this.stack[this.depth] === OBJECT ? S.ObjectCommaOrEnd : S.ArrayCommaOrEnd;
		return false;
	}
}

/**
 * Checks, as a file streams through, that its bytes are JSON lines a bundle can carry as `lines`:
 * every line one complete JSON value with nothing around it (no whitespace, no empty line), at most
 * `maxLine` bytes, each ended by "\n" (the last included). Throws a plain Error saying why not.
 */
export class JsonLinesChecker {
	private readonly scanner = new JsonValueScanner();
	/** Between a value's end and its "\n". */
	private awaitingNewline = false;
	private lineBytes = 0;
	private atLineStart = true;

	constructor(private readonly maxLine: number) {}

	push(block: Buffer): void {
		let index = 0;
		while (index < block.length) {
			if (this.awaitingNewline) {
				if (block[index] !== 0x0a) throw new Error('a line holds more than one JSON value (or whitespace after it)');
				index++;
				this.awaitingNewline = false;
				this.atLineStart = true;
				this.lineBytes = 0;
				continue;
			}
			if (this.atLineStart) {
				this.scanner.reset();
				this.atLineStart = false;
			}
			let end: number;
			try {
				end = this.scanner.scan(block, index, block.length);
			} catch (error) {
				throw new Error((error as Error).message);
			}
			const consumed = (end === -1 ? block.length : end) - index;
			this.lineBytes += consumed;
			if (this.lineBytes > this.maxLine) throw new Error(`a line is longer than ${this.maxLine} bytes`);
			if (end === -1) return;
			index = end;
			this.awaitingNewline = true;
		}
	}

	end(): void {
		if (this.awaitingNewline) throw new Error('the last line has no "\\n"');
		if (!this.atLineStart && !this.scanner.done) {
			if (this.scanner.end()) throw new Error('the last line has no "\\n"');
			throw new Error('the last line is cut short');
		}
	}
}
