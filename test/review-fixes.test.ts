/**
 * Regression tests for fixes to review findings that had no test in review-findings.test.ts yet
 * (and the class of input behind each finding). Real gateways, real archives.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {afterAll, describe, expect, it} from 'vitest';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {LifeboatError} from '../source/core/errors.js';
import {fileTarget} from '../source/core/restore/archive-routes.js';
import {IDENTITY_MAPPER, remapId, remapIdList, tenantMapper} from '../source/core/restore/id-map.js';
import {applyRestore, getConflictDetail} from '../source/core/restore/index.js';
import {displayValue} from '../source/core/rows/value-codec.js';
import {createGateway, findTenant, resolveTenant, type TenantSummary} from '../source/core/store/gateway-store.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, editedBackup, exec, freshGateway, query, storeDigest} from './restore-support.js';

function thrown(run: () => unknown): string {
	try {
		run();
		return 'ok';
	} catch (error) {
		return error instanceof LifeboatError ? `${error.code}: ${error.message}` : `bug: ${String(error)}`;
	}
}

describe('tenant selection (--tenant, --into-tenant)', () => {
	const store = createGateway(path.join(tempDir('lifeboat-fix-tenants-'), 'gateway'));
	afterAll(() => store.close());

	/** What the value must select: the first of id, slug, name that matches; several at one level is an error. */
	function expected(tenants: TenantSummary[], value: string): TenantSummary | 'ambiguous' | undefined {
		for (const key of ['id', 'slug', 'name'] as const) {
			const matches = tenants.filter(tenant => tenant[key] === value);
			if (matches.length === 1) return matches[0];
			if (matches.length > 1) return 'ambiguous';
		}
		return undefined;
	}

	it('picks the exact id, then the slug, then the name, and refuses two tenants matching at one level', () => {
		const word = fc.constantFrom('a', 'b', 'c', 'two', 'Two');
		const tenants = fc.uniqueArray(fc.record({id: word, slug: word, name: word}), {selector: tenant => tenant.id, maxLength: 5});
		fc.assert(
			fc.property(tenants, word, (rows, value) => {
				store.db.prepare('DELETE FROM tenants').run();
				for (const row of rows) store.db.prepare(`INSERT INTO tenants VALUES (?, ?, 'c', 'u', ?, ?, 'free')`).run(row.id, row.id, row.name, row.slug);
				const want = expected(rows, value);
				if (want === 'ambiguous') {
					expect(thrown(() => findTenant(store, value))).toMatch(new RegExp(`^usage: Tenant "${value}" is ambiguous: it is the (slug|name) of \\d tenants: .*pass a tenant id instead$`));
				} else {
					expect(findTenant(store, value)).toEqual(want);
					expect(thrown(() => resolveTenant(store, value)).split(':')[0]).toBe(want ? 'ok' : 'unknown-tenant');
				}
			}),
			{numRuns: 300},
		);
	});

	it('names the clashing tenants in one line and exits 2 from the CLI, writing nothing', () => {
		const dataDir = freshGateway();
		exec(dataDir, `INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'Acme', 'acme-eu', 'free')`);
		exec(dataDir, `INSERT INTO tenants VALUES ('t2', 't2', 'c', 'u', 'Acme', 'acme-us', 'free')`);
		const dest = tempDir('lifeboat-fix-dest-');
		const result = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--tenant', 'Acme']);
		expect({code: result.code, stderr: result.stderr.trim()}).toEqual({
			code: 2,
			stderr: expect.stringMatching(/^lifeboat: Tenant "Acme" is ambiguous: it is the name of 2 tenants: acme-eu \(t1\), acme-us \(t2\); pass a tenant id instead$/),
		});
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	it('restores --into-tenant by a slug that is also another tenant\'s name into the slug\'s tenant', async () => {
		const dataDir = freshGateway();
		exec(dataDir, `INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'two', 'one', 'free')`);
		exec(dataDir, `INSERT INTO tenants VALUES ('t2', 't2', 'c', 'u', 'Tenant Two', 'two', 'free')`);
		exec(dataDir, `INSERT INTO agents VALUES ('agt_1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`);
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't1'});
		const result = runCli(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--into-tenant', 'two', '--json']);
		expect({code: result.code, target: JSON.parse(result.stdout).plan.targetTenant.id}).toEqual({code: 0, target: 't2'});
		expect(query(dataDir, 'SELECT tenant_id, COUNT(*) AS n FROM agents GROUP BY tenant_id ORDER BY tenant_id')).toEqual([
			{tenant_id: 't1', n: 1},
			{tenant_id: 't2', n: 1},
		]);
	});
});

describe('--into-tenant remapping of id lists (refList columns)', () => {
	const id = (old: string) => `new(${old})`;

	it("remaps the non-empty string items of a JSON array and keeps '' and every other byte as it is", () => {
		const item = fc.oneof(fc.constantFrom('', 'agt_1', 'a"b\\c', '\u0000', '\u2028'), fc.string(), fc.jsonValue({maxDepth: 2}));
		fc.assert(
			fc.property(fc.array(item, {maxLength: 6}), fc.constantFrom(undefined, 1, '\t'), (items, space) => {
				const text = JSON.stringify(items, null, space);
				const remapped = remapIdList(text, id);
				const before = JSON.parse(text) as unknown[];
				expect(JSON.parse(remapped)).toEqual(before.map(value => (typeof value === 'string' && value !== '' ? id(value) : value)));
				if (!before.some(value => typeof value === 'string' && value !== '')) expect(remapped).toBe(text);
			}),
			{numRuns: 500},
		);
	});

	it('keeps number spellings, nesting and spacing byte for byte, and text that is no JSON array', () => {
		expect(remapIdList('[ "a" ,1e400, 12345678901234567890, {"k": ["b"]}, [""], "" ]', id)).toBe('[ "new(a)" ,1e400, 12345678901234567890, {"k": ["b"]}, [""], "" ]');
		for (const text of ['', '"a"', '{"a": "b"}', '["a"', '[] x', 'null']) expect(remapIdList(text, id)).toBe(text);
	});
});

describe('--into-tenant and document file names that only fit before remapping', () => {
	it('restores every such document (exit 0), a file whose remapped name no longer fits left out with a warning, and a second restore changes nothing', async () => {
		const dataDir = freshGateway();
		exec(dataDir, `INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'Tenant One', 'one', 'free')`);
		exec(dataDir, `INSERT INTO tenants VALUES ('t2', 't2', 'c', 'u', 'Tenant Two', 'two', 'free')`);
		// Short ids, extensions up to the 255-byte limit, some of multi-byte characters (cut at a character boundary).
		const documents = [
			['a', 'x'.repeat(253)],
			['b', 'x'.repeat(240)],
			['doc_1', 'é'.repeat(124)],
			['c', 'p'.repeat(200) + '😀'.repeat(13)],
			['d', 'pdf'],
		] as const;
		fs.mkdirSync(path.join(dataDir, 'documents', 'files'), {recursive: true});
		for (const [id, ext] of documents) {
			exec(dataDir, `INSERT INTO documents VALUES (?, 't1', 'c', 'u', 'name', 'text/plain', ?, 1, 'sha', NULL, 1, 'hint')`, id, ext);
			fs.writeFileSync(path.join(dataDir, 'documents', 'files', `${id}.${ext}`), `content of ${id}\n`);
		}
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't1'});
		const first = await applyRestore({source: backup.source, dataDir, intoTenant: 'two'});
		// Rows restored; a file whose remapped name no longer fits is left out, named in a warning.
		const restored = new Map(query<{id: string; ext: string}>(dataDir, `SELECT id, ext FROM documents WHERE tenant_id = 't2'`).map(row => [row.id, row.ext]));
		let written = 0;
		for (const [id, ext] of documents) {
			const newId = remapId('t2', id);
			expect(restored.get(newId)).toBe(ext);
			const fits = Buffer.byteLength(`${newId}.${ext}`, 'utf8') <= 255;
			const file = path.join(dataDir, 'documents', 'files', `${newId}.${ext}`);
			if (fits) {
				written++;
				expect(fs.readFileSync(file, 'utf8')).toBe(`content of ${id}\n`);
			} else {
				expect(first.warnings.join('\n')).toContain(`document ${id} remapped to ${newId} no longer fits a file name with its extension; row restored without its file`);
			}
		}
		expect(first.applied.files).toBe(written);
		expect(written).toBeLessThan(documents.length);
		const before = storeDigest(dataDir);
		const second = await applyRestore({source: backup.source, dataDir, intoTenant: 'two'});
		expect({quarantined: second.applied.quarantined, digest: storeDigest(dataDir).files}).toEqual({quarantined: 0, digest: before.files});
	});

	it('names the document id, what it became and why when its file cannot be named', () => {
		const route = (ownerId: string, ext: string) => ({kind: 'document-file', category: 'documents', ownerId, ext}) as const;
		const message = (run: () => unknown) => thrown(run);
		expect(message(() => fileTarget(route('', ''), IDENTITY_MAPPER))).toBe('unsafe-archive: document "" cannot name a file: "." (the id is empty); nothing was restored');
		expect(message(() => fileTarget(route('a/b', 'x'), IDENTITY_MAPPER))).toBe('unsafe-archive: document "a/b" cannot name a file: "a/b.x" (it holds a "/" or NUL); nothing was restored');
		expect(message(() => fileTarget({kind: 'document-text', category: 'documents', ownerId: 'i'.repeat(300)}, IDENTITY_MAPPER))).toBe(
			`unsafe-archive: document "${'i'.repeat(60)}…" cannot name a file: "${'i'.repeat(60)}…" (304 bytes, over 255); nothing was restored`,
		);
		expect(message(() => fileTarget(route('a', 'x'), tenantMapper('t1', 't2')))).toBe(`ok`);
	});
});

describe('verify reads gateway JSON files as restore does', () => {
	const texts = ['{"Logging": \n', '', ' ', '{"a": 1} x', '{"a": 1}{"b": 2}', "{'a': 1}", '\uFEFF{"a": 1}', '{"a": NaN}', '[1, 2,]', '{"a": 1}\n', '[]', 'null', '"text"'];

	it('refuses exactly the config files restore refuses, with restore\'s words, and accepts the rest', async () => {
		const dataDir = freshGateway();
		fs.writeFileSync(path.join(dataDir, 'appsettings.json'), '{"Logging": {"Level": "Info"}}\n');
		for (const text of texts) {
			const source = await editedBackup(dataDir, {}, dir => fs.writeFileSync(path.join(dir, 'config', 'appsettings.backup.json'), text));
			const verified = await verifyBackup(source);
			let restored = 'ok';
			try {
				await applyRestore({source, dataDir: freshGateway()});
			} catch (error) {
				restored = error instanceof LifeboatError ? `${error.code}: ${error.message}` : `bug: ${String(error)}`;
			}
			let valid = true;
			try {
				// A leading byte order mark is allowed (editors on Windows write one; the file keeps it).
				JSON.parse(text.replace(/^\uFEFF/, ''));
			} catch {
				valid = false;
			}
			expect({text, ok: verified.ok, code: verified.code, problems: verified.problems, restored: restored.split(':')[0]}).toEqual(
				valid
					? {text, ok: true, code: undefined, problems: [], restored: 'ok'}
					: {text, ok: false, code: 'corrupt-archive', problems: ['config/appsettings.backup.json: not valid JSON'], restored: 'corrupt-archive'},
			);
			if (!valid) expect(restored).toContain('config/appsettings.backup.json: not valid JSON');
		}
	});
});

describe('display of stored integers', () => {
	it('shows a bigint as a number when it is a safe integer, else as its exact digits', () => {
		const edges = [0n, -1n, 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
		fc.assert(
			fc.property(fc.oneof(fc.constantFrom(...edges), fc.bigInt({min: -(2n ** 63n), max: 2n ** 63n - 1n}), fc.bigInt({min: -(2n ** 54n), max: 2n ** 54n})), value => {
				const safe = value >= -(2n ** 53n - 1n) && value <= 2n ** 53n - 1n;
				expect(displayValue(value)).toStrictEqual(safe ? Number(value) : value.toString());
			}),
		);
	});
});

describe('conflict detail of a backup with a damaged table line', () => {
	it('is a one-line corrupt-archive error naming the file and line, numbered as restore numbers it', async () => {
		const dataDir = freshGateway();
		exec(dataDir, `INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'Tenant One', 'one', 'free')`);
		exec(dataDir, `INSERT INTO agents VALUES ('agt_1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`);
		const cases: Array<[prefix: string, expected: string]> = [
			['{"id": \n', 'agents/agents.jsonl line 1: not valid JSON; nothing was restored'],
			['\n  \n{\n', 'agents/agents.jsonl line 1: not valid JSON; nothing was restored'],
			['nul\u0000\n', 'agents/agents.jsonl line 1: not valid JSON; nothing was restored'],
			['[1]\n', 'agents/agents.jsonl line 1: not a JSON object; nothing was restored'],
		];
		for (const [prefix, expected] of cases) {
			const source = await editedBackup(dataDir, {}, dir => {
				const file = path.join(dir, 'agents', 'agents.jsonl');
				fs.writeFileSync(file, prefix + fs.readFileSync(file, 'utf8'));
			});
			const detail = await (async () => {
				try {
					await getConflictDetail({source, dataDir}, 'agents', 'agents', 'agt_1');
					return 'ok';
				} catch (error) {
					return error instanceof LifeboatError ? `${error.code}: ${error.message}` : `bug: ${String(error)}`;
				}
			})();
			expect(detail).toBe(`corrupt-archive: ${expected}`);
			const restored = await (async () => {
				try {
					await applyRestore({source, dataDir: freshGateway()});
					return 'ok';
				} catch (error) {
					return error instanceof LifeboatError ? `${error.code}: ${error.message}` : `bug: ${String(error)}`;
				}
			})();
			expect(restored.startsWith(detail.replace(/; nothing was restored$/, ''))).toBe(true);
		}
	});
});
