import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {JsonlSpool, SPOOL_FLUSH_UNITS} from '../source/core/jsonl-spool.js';
import {builtCore, moduleUnderLimit} from './helpers/file-size-limit.js';
import {tempDir} from './helpers/temp-dir.js';

describe('JsonlSpool', () => {
	it('holds at most SPOOL_FLUSH_UNITS of lines before writing them, and writes every line in order', () => {
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
		expect(largestHeld).toBeLessThanOrEqual(SPOOL_FLUSH_UNITS + 1100);
		expect(largestHeld).toBeGreaterThan(SPOOL_FLUSH_UNITS / 2);
		spool.close();
		expect(fs.readFileSync(file, 'utf8')).toBe(lines.map(line => `${line}\n`).join(''));
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
	});

	it('never ends a file early without an error when a write comes up short', () => {
		// 100 KiB of lines under an 80 KiB limit (moduleUnderLimit): the close's write is the short
		// one, and it must not pass for a complete file.
		const file = path.join(tempDir(), 'rows.jsonl');
		const script = [
			"import fs from 'node:fs';",
			`import {JsonlSpool} from ${JSON.stringify(builtCore('jsonl-spool.js'))};`,
			`const spool = new JsonlSpool(${JSON.stringify(file)});`,
			"for (let index = 0; index < 100; index++) spool.writeLine('x'.repeat(1023));",
			"const open = () => fs.readdirSync('/proc/self/fd').length;",
			'const before = open() - 1;',
			'try { spool.close(); console.log("closed"); } catch (error) { console.log("failed", error.code, "descriptors left", open() - before); process.exitCode = 3; }',
			'spool.close();',
		].join('\n');
		const child = moduleUnderLimit(script, 80 * 1024);
		expect(child.error).toBeUndefined();
		// The spool's descriptor is closed though its last write failed (and a second close does nothing).
		expect(child.stdout.trim()).toBe('failed EFBIG descriptors left 0');
		expect(child.status).toBe(3);
		expect(fs.statSync(file).size).toBe(80 * 1024);
	});
});
