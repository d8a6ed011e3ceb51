import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {openLocalDestination} from '../../source/core/destinations/local.js';
import {describeDestination} from './conformance.js';
import {afterAll} from 'vitest';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-local-dest-'));
let count = 0;
afterAll(() => fs.rmSync(base, {recursive: true, force: true}));

describeDestination('local', () => ({
	async open() {
		return openLocalDestination(path.join(base, `case-${++count}`, 'backups'));
	},
}));
