/** A small seeded PRNG (sfc32) so the demo gateway is the same for the same seed. */
export class Random {
	private a: number;
	private b: number;
	private c: number;
	private d: number;

	constructor(seed: number) {
		this.a = 0x9e3779b9;
		this.b = 0x243f6a88;
		this.c = 0xb7e15162;
		this.d = seed >>> 0;
		for (let i = 0; i < 15; i++) this.next();
	}

	/** Uniform 32-bit unsigned integer. */
	next(): number {
		this.a >>>= 0;
		this.b >>>= 0;
		this.c >>>= 0;
		this.d >>>= 0;
		let t = (this.a + this.b) | 0;
		this.a = this.b ^ (this.b >>> 9);
		this.b = (this.c + (this.c << 3)) | 0;
		this.c = (this.c << 21) | (this.c >>> 11);
		this.d = (this.d + 1) | 0;
		t = (t + this.d) | 0;
		this.c = (this.c + t) | 0;
		return t >>> 0;
	}

	float(): number {
		return this.next() / 4_294_967_296;
	}

	int(min: number, max: number): number {
		return min + Math.floor(this.float() * (max - min + 1));
	}

	pick<T>(items: readonly T[]): T {
		return items[Math.floor(this.float() * items.length)]!;
	}

	chance(probability: number): boolean {
		return this.float() < probability;
	}

	hex(bytes: number): string {
		let out = '';
		for (let i = 0; i < bytes; i++) out += (this.next() & 0xff).toString(16).padStart(2, '0');
		return out;
	}

	/** Fills a buffer with pseudo-random (incompressible) bytes. */
	fill(buffer: Buffer): Buffer {
		let i = 0;
		for (; i + 4 <= buffer.length; i += 4) buffer.writeUInt32LE(this.next(), i);
		for (; i < buffer.length; i++) buffer[i] = this.next() & 0xff;
		return buffer;
	}
}
