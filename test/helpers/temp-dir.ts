import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll} from 'vitest';

const made: string[] = [];

/** A fresh temp folder, removed after the test file finishes. */
export function tempDir(prefix = 'lifeboat-test-'): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	made.push(dir);
	return dir;
}

afterAll(() => {
	for (const dir of made.splice(0)) fs.rmSync(dir, {recursive: true, force: true});
});
