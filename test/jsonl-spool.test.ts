import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {JsonlSpool, SPOOL_FLUSH_BYTES} from '../source/core/jsonl-spool.js';
import {tempDir} from './helpers/temp-dir.js';

describe('JsonlSpool', () => {
	it('holds at most SPOOL_FLUSH_BYTES of lines before writing them, and writes every line in order', () => {
		const file = path.join(tempDir(), 'dump', 'rows.jsonl');
		const spool = new JsonlSpool(file);
		const lines: string[] = [];
		let written = 0;
		let largestHeld = 0;
		for (let index = 0; index < 600; index++) {
			// ~1 KiB of ASCII per line: characters and bytes agree, so what is held is exact.
			const line = JSON.stringify({id: `row-${index}`, content: 'x'.repeat(1000 + (index % 37))});
			spool.writeLine(line);
			lines.push(line);
			written += line.length + 1;
			largestHeld = Math.max(largestHeld, written - fs.statSync(file).size);
		}
		// Lines held for a 1 MiB write lived long enough to be promoted, and grew every backup's heap.
		expect(largestHeld).toBeLessThanOrEqual(SPOOL_FLUSH_BYTES + 1100);
		expect(largestHeld).toBeGreaterThan(SPOOL_FLUSH_BYTES / 2);
		spool.close();
		expect(fs.readFileSync(file, 'utf8')).toBe(lines.map(line => `${line}\n`).join(''));
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
	});
});
