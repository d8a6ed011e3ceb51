import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {REDACTED_MARKER, SECRET_LOOKING_COLUMN, TABLES} from '../source/core/store/schema.js';
import {gatewaySecrets} from './helpers/gateway-secrets.js';
import {tempDir} from './helpers/temp-dir.js';

/** Every byte a reader could get out of a backup: decompressed by the system tools, plus raw. */
function allArchiveBytes(location: string, format: string): Buffer {
	if (format === 'dir') {
		const parts: Buffer[] = [];
		const walk = (dir: string) => {
			for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
				const full = path.join(dir, entry.name);
				if (entry.isDirectory()) walk(full);
				else parts.push(fs.readFileSync(full));
			}
		};
		walk(location);
		return Buffer.concat(parts);
	}
	const decompressed =
		format === 'zip'
			? execFileSync('unzip', ['-p', location], {maxBuffer: 512 * 1024 * 1024})
			: execFileSync('tar', ['-xzOf', location], {maxBuffer: 512 * 1024 * 1024});
	return Buffer.concat([decompressed, fs.readFileSync(location)]);
}

describe('secrets never enter a backup', () => {
	let dataDir: string;
	let secrets: string[];
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 3, scale: 'small', seed: 7});
		secrets = gatewaySecrets(dataDir);
	});

	it('the gateway really holds secrets of every kind (the scan is not vacuous)', () => {
		expect(secrets.length).toBeGreaterThan(60);
		for (const prefix of ['whsec_', 'ya29.', '1//rt_', 'xoxb-', 'sgn_', 'pair_', 'TOTP', 'jwt_', 'smtp_', 'sk-', 'ghp_', 'mcp_']) {
			expect(secrets.some(secret => secret.startsWith(prefix)), prefix).toBe(true);
		}
	});

	for (const format of ['zip', 'tar.gz', 'dir'] as const) {
		it(`no secret value appears anywhere in a ${format} backup`, async () => {
			const result = await createBackup({dataDir, destDir: tempDir(), format});
			const bytes = allArchiveBytes(result.path, format);
			expect(bytes.length).toBeGreaterThan(100_000);
			const text = bytes.toString('latin1');
			expect(text).toContain(REDACTED_MARKER);
			const leaked = secrets.filter(secret => text.includes(secret));
			expect(leaked).toEqual([]);
			// The redactions are listed for the operator.
			const fields = result.metadata.redacted.map(note => note.field);
			expect(fields).toEqual(expect.arrayContaining(['webhooks.secret', 'connections.auth_token', 'channels.bot_token', 'node_pairings.pairing_secret']));
			expect(result.metadata.twoFactor?.users).toBeGreaterThan(0);
		});
	}

	it('every secret-looking column is marked secret in the schema', () => {
		const unmarked = TABLES.flatMap(table => table.columns.filter(column => SECRET_LOOKING_COLUMN.test(column.name) && !column.secret).map(column => `${table.name}.${column.name}`));
		expect(unmarked).toEqual([]);
	});
});
