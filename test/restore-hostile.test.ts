import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {ZipArchive} from 'archiver';
import tarStream from 'tar-stream';
import {beforeAll, describe, expect, it} from 'vitest';
import {plainFileSource, type ArchiveSource} from '../source/core/archive/archive-reader.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import type {RestoreOptions} from '../source/core/restore/index.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, copyGateway, demoGateway, editedBackup, freshGateway, query, readJsonl, resealDirBackup, storeDigest, tableRows, walkFiles, writeJsonl, type Row} from './restore-support.js';

/** Rewrites one file of a folder backup and fixes manifest.json (and totals) so only restore's own checks can catch it. */
/** A folder backup with one file rewritten and re-sealed (totals, counts, manifest), as an attacker who rebuilt them would. */
function rewriteDirBackup(dir: string, archivePath: string, content: string): void {
	fs.writeFileSync(path.join(dir, ...archivePath.split('/')), content);
	resealDirBackup(dir);
}

async function writeZip(file: string, entries: Array<[string, Buffer]>): Promise<void> {
	const archive = new ZipArchive({zlib: {level: 9}});
	const out = fs.createWriteStream(file);
	archive.pipe(out);
	for (const [name, content] of entries) archive.append(content, {name});
	await archive.finalize();
	await new Promise(resolve => out.on('close', resolve));
}

describe('restore refuses hostile or unusable input and writes nothing', () => {
	let original: string;
	let zip: string;
	let metadataText: Buffer;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 71});
		zip = (await backupOf(original, {format: 'zip'})).path;
		metadataText = fs.readFileSync(path.join((await backupOf(original, {format: 'dir', categories: ['agents']})).path, 'metadata.json'));
	});

	async function expectRefused(source: ArchiveSource, code: string, message: RegExp, extra: Partial<RestoreOptions> = {}): Promise<void> {
		const dataDir = copyGateway(original);
		const before = storeDigest(dataDir);
		await expect(planRestore({source, dataDir, ...extra})).rejects.toMatchObject({code, message: expect.stringMatching(message)});
		await expect(applyRestore({source, dataDir, ...extra})).rejects.toMatchObject({code, message: expect.stringMatching(message)});
		await expect(applyRestore({source, dataDir, mode: 'replace', ...extra})).rejects.toMatchObject({code});
		expect(storeDigest(dataDir)).toEqual(before);
		expect(fs.readdirSync(dataDir).filter(name => name === 'quarantine' || name === '.lifeboat-restore')).toEqual([]);
	}

	it('a zip-slip entry (../) and an absolute entry', async () => {
		const bytes = fs.readFileSync(zip);
		const name = Buffer.from('agents/agents.jsonl');
		for (const evil of ['../../../evil.jsonl', '/tmp/lifeboat-evil1']) {
			expect(evil.length).toBe(name.length);
			const copy = Buffer.from(bytes);
			let at = copy.indexOf(name);
			let replaced = 0;
			while (at !== -1) {
				Buffer.from(evil).copy(copy, at);
				replaced++;
				at = copy.indexOf(name, at + 1);
			}
			expect(replaced).toBe(2); // local header and central directory
			const file = path.join(tempDir(), 'slip.zip');
			fs.writeFileSync(file, copy);
			await expectRefused(plainFileSource(file), 'unsafe-archive', evil.startsWith('/') ? /absolute path/ : /escapes the archive/);
		}
	});

	it('a symlink in a tar.gz', async () => {
		const pack = tarStream.pack();
		pack.entry({name: 'metadata.json'}, metadataText);
		pack.entry({name: 'agents/agt_evil/SOUL.md', type: 'symlink', linkname: '/etc/passwd'});
		pack.entry({name: 'manifest.json'}, '{}');
		pack.finalize();
		const file = path.join(tempDir(), 'link.tar.gz');
		const chunks: Buffer[] = [];
		for await (const chunk of pack.pipe(zlib.createGzip())) chunks.push(chunk as Buffer);
		fs.writeFileSync(file, Buffer.concat(chunks));
		await expectRefused(plainFileSource(file), 'unsafe-archive', /symlink/);
	});

	it('a decompression bomb', async () => {
		const file = path.join(tempDir(), 'bomb.zip');
		await writeZip(file, [
			['metadata.json', metadataText],
			['agents/agt_bomb/SOUL.md', Buffer.alloc(64 * 1024 * 1024)],
			['manifest.json', Buffer.from('{}')],
		]);
		await expectRefused(plainFileSource(file), 'unsafe-archive', /decompression bomb/);
	});

	it('a truncated zip and a truncated tar.gz', async () => {
		const cutZip = path.join(tempDir(), 'cut.zip');
		fs.writeFileSync(cutZip, fs.readFileSync(zip).subarray(0, Math.floor(fs.statSync(zip).size / 2)));
		await expectRefused(plainFileSource(cutZip), 'corrupt-archive', /./);
		const tar = (await backupOf(original, {format: 'tar.gz'})).path;
		const cutTar = path.join(tempDir(), 'cut.tar.gz');
		fs.writeFileSync(cutTar, fs.readFileSync(tar).subarray(0, Math.floor(fs.statSync(tar).size * 0.6)));
		await expectRefused(plainFileSource(cutTar), 'corrupt-archive', /truncated|corrupt/);
	});

	it('an unknown schema version', async () => {
		const dir = (await backupOf(original, {format: 'dir'})).path;
		const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
		metadata.schemaVersion = 99;
		fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(metadata));
		await expectRefused(plainFileSource(dir), 'unsupported-version', /schema version 99/);
	});

	it('a tampered file (checksum mismatch) is refused by verify before any write', async () => {
		const dir = (await backupOf(original, {format: 'dir'})).path;
		fs.appendFileSync(path.join(dir, 'memory', 'entries.jsonl'), '\n');
		await expectRefused(plainFileSource(dir), 'corrupt-archive', /memory\/entries\.jsonl.*(size|checksum)/);
	});

	it('rows that pass the manifest but not the schema: unknown tenant, bad JSON, missing column', async () => {
		const cases: Array<[string, (line: Record<string, unknown>) => string, RegExp]> = [
			['a row of a tenant metadata.json does not list', line => JSON.stringify({...line, tenant_id: 'ten_intruder'}), /tenant ten_intruder, which is not a tenant this backup covers/],
			['not JSON', () => '{"id": "mem_x", ', /line 1: not valid JSON/],
			['a missing column', line => JSON.stringify({...line, content: undefined}), /missing column content/],
			['an extra column', line => JSON.stringify({...line, evil: 1}), /unknown column evil/],
		];
		for (const [name, rewrite, message] of cases) {
			const dir = (await backupOf(original, {format: 'dir', categories: ['agents', 'memory']})).path;
			const lines = fs.readFileSync(path.join(dir, 'memory', 'entries.jsonl'), 'utf8').trim().split('\n');
			lines[0] = rewrite(JSON.parse(lines[0]!) as Record<string, unknown>);
			rewriteDirBackup(dir, 'memory/entries.jsonl', lines.join('\n') + '\n');
			await expectRefused(plainFileSource(dir), name.startsWith('a row of a tenant') ? 'unsafe-archive' : 'corrupt-archive', message);
		}
	});

	it('categories that are unknown or not in the backup, and a tenant missing from the gateway', async () => {
		const memoryOnly = await backupOf(original, {format: 'zip', categories: ['memory']});
		await expectRefused(memoryOnly.source, 'unknown-category', /Category users not in this backup \(it holds: memory\)/, {only: ['users']});
		await expectRefused(memoryOnly.source, 'unknown-category', /Unknown category bogus/, {only: ['bogus']});
		const fresh = freshGateway();
		const before = storeDigest(fresh);
		await expect(applyRestore({source: memoryOnly.source, dataDir: fresh})).rejects.toMatchObject({code: 'unknown-tenant', message: expect.stringMatching(/not on this gateway; include the users category/)});
		expect(storeDigest(fresh)).toEqual(before);
	});

	// Each case edits one row (or plants one file) of a real folder backup (manifest re-sealed):
	// restore must refuse it before writing anything, naming the file and line. A backup and three
	// restores per case: the cases are split over three tests, each well inside its time limit.
	type Case = [string, string, (row: Row, dir: string, file: string) => void, string, RegExp];
	const tenantIds = () => query<{id: string}>(original, 'SELECT id FROM tenants ORDER BY id').map(row => row.id);
	const agentOf = (tenant: string) => query<{id: string}>(original, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', tenant)[0]!.id;
	const firstRowTenant = (file: string, dir: string) => readJsonl(path.join(dir, file))[0]!['tenant_id'] as string;

	function rowCases(): Case[] {
		const [a, b] = tenantIds();
		return [
			['a number in a TEXT column', 'agents/agents.jsonl', row => void (row['name'] = 7), 'corrupt-archive', /^agents\/agents\.jsonl line 1: name should be text/],
			['a boolean', 'workflows/workflows.jsonl', row => void (row['enabled'] = true), 'corrupt-archive', /enabled has an unsupported value/],
			['null in a NOT NULL INTEGER column', 'chats/messages.jsonl', row => void (row['token_count'] = null), 'corrupt-archive', /token_count is null/],
			['a NULL id', 'chats/messages.jsonl', row => void (row['id'] = null), 'corrupt-archive', /^chats\/messages\.jsonl line 1: id is null/],
			['a BLOB tenant_id', 'chats/messages.jsonl', row => void (row['tenant_id'] = {$blob: 'AAE='}), 'corrupt-archive', /tenant_id is a BLOB, not text/],
			['a malformed $int', 'chats/messages.jsonl', row => void (row['token_count'] = {$int: '12x'}), 'corrupt-archive', /token_count has a malformed \$int/],
			['an $int past 64 bits', 'chats/messages.jsonl', row => void (row['token_count'] = {$int: '9223372036854775808'}), 'corrupt-archive', /token_count has an \$int outside 64 bits/],
			['a malformed $blob', 'agents/agents.jsonl', row => void (row['name'] = {$blob: 'not base64!'}), 'corrupt-archive', /name has a malformed \$blob/],
			['a tag with two keys', 'chats/messages.jsonl', row => void (row['token_count'] = {$int: '1', $real: 1}), 'corrupt-archive', /token_count has an unsupported value/],
			['a tenant_id outside the backup', 'memory/entries.jsonl', row => void (row['tenant_id'] = '../ten'), 'unsafe-archive', /not a tenant this backup covers/],
			['a reference to another tenant\'s agent', 'memory/entries.jsonl', (row, dir, file) => void (row['agent_id'] = agentOf(firstRowTenant(file, dir) === a! ? b! : a!)), 'unsafe-archive', /^memory\/entries\.jsonl line 1: agent_id points at agents \S+ of tenant \S+, not of its own tenant \S+ \(cross-tenant reference\)/],
			['a refList naming another tenant\'s agent', 'skills/installed.jsonl', (row, dir, file) => void (row['enabled_agents'] = JSON.stringify([agentOf(firstRowTenant(file, dir) === a! ? b! : a!)])), 'unsafe-archive', /^skills\/installed\.jsonl line 1: enabled_agents points at agents .* \(cross-tenant reference\)/],
		];
	}

	async function refusesEditedRows(cases: Case[]): Promise<void> {
		for (const [name, file, edit, code, message] of cases) {
			const source = await editedBackup(original, {}, dir => {
				const rows = readJsonl(path.join(dir, file));
				edit(rows[0]!, dir, file);
				writeJsonl(path.join(dir, file), rows);
			});
			try {
				await expectRefused(source, code, message);
			} catch (error) {
				throw new Error(`${name}: ${(error as Error).message}`);
			}
		}
	}

	it('rows must fit the schema: types, NULLs and ids', async () => {
		await refusesEditedRows(rowCases().slice(0, 6));
	});

	it('rows must fit the schema: tags, and stay inside their tenant', async () => {
		await refusesEditedRows(rowCases().slice(6));
	});

	it('archive paths must name usable files', async () => {
		const [a] = tenantIds();
		const plant = (relative: string) => (dir: string) => {
			fs.mkdirSync(path.dirname(path.join(dir, relative)), {recursive: true});
			fs.writeFileSync(path.join(dir, relative), 'planted\n');
		};
		const paths: Array<[string, RegExp]> = [
			['agents/%2E%2E/SOUL.md', /^agents\/%2E%2E\/SOUL\.md: not agents\/<agent id>\/<file>, with a usable agent id/],
			['agents/a%2Fb/SOUL.md', /not agents\/<agent id>\/<file>/],
			['agents/%41gent/SOUL.md', /not agents\/<agent id>\/<file>/],
			[`agents/${agentOf(a!)}/%2E%2E/SOUL.md`, /not a usable file path inside an agent folder/],
			['documents/files/doc.txt%2F..%2F..%2Fx', /not documents\/files\/<document id>\.<ext>, with a usable id and extension/],
			['documents/files/nodot', /not documents\/files\/<document id>\.<ext>/],
			['documents/text/doc.md', /not documents\/text\/<document id>\.txt/],
		];
		for (const [relative, message] of paths) {
			const source = await editedBackup(original, {}, plant(relative));
			try {
				await expectRefused(source, 'unsafe-archive', message);
			} catch (error) {
				throw new Error(`${relative}: ${(error as Error).message}`);
			}
		}
	});

	it('odd but legal rows restore as they were: any text as an id or reference, text in a numeric column, big integers, BLOBs', async () => {
		const source = await editedBackup(original, {}, dir => {
			const file = path.join(dir, 'chats', 'messages.jsonl');
			const rows = readJsonl(file);
			Object.assign(rows[0]!, {id: '../../keys/backup', token_count: 'lots'});
			Object.assign(rows[1]!, {id: 'msg:1.v2', token_count: {$int: '9007199254740993'}, content: {$blob: 'AP8Q'}});
			writeJsonl(file, rows);
		});
		const dataDir = freshGateway();
		await applyRestore({source, dataDir});
		const rows = query<{id: string; t: string; c: string; h: string}>(dataDir, `SELECT id, typeof(token_count) AS t, CAST(token_count AS TEXT) AS c, hex(content) AS h FROM messages WHERE id IN ('../../keys/backup', 'msg:1.v2') ORDER BY id`);
		expect(rows).toEqual([
			{id: '../../keys/backup', t: 'text', c: 'lots', h: expect.any(String)},
			{id: 'msg:1.v2', t: 'integer', c: '9007199254740993', h: '00FF10'},
		]);
		expect(fs.existsSync(path.join(dataDir, 'keys', 'backup'))).toBe(false);
	});

	it("a one-tenant backup cannot write another tenant's files: agent and document files must belong to the backup's own rows", async () => {
		const [a, b] = query<{id: string; slug: string}>(original, 'SELECT id, slug FROM tenants ORDER BY id');
		const agentA = query<{id: string}>(original, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', a!.id)[0]!.id;
		const agentB = query<{id: string}>(original, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', b!.id)[0]!.id;
		const docA = query<{id: string; ext: string}>(original, 'SELECT id, ext FROM documents WHERE tenant_id = ? ORDER BY id LIMIT 1', a!.id)[0]!;
		const docB = query<{id: string; ext: string}>(original, 'SELECT id, ext FROM documents WHERE tenant_id = ? ORDER BY id LIMIT 1', b!.id)[0]!;
		const plant = (relative: string, content = 'OVERWRITTEN BY TENANT A BACKUP\n') => (dir: string) => {
			fs.mkdirSync(path.dirname(path.join(dir, relative)), {recursive: true});
			fs.writeFileSync(path.join(dir, relative), content);
		};
		const cases: Array<[string, (dir: string) => void, RegExp]> = [
			["another tenant's agent file", plant(`agents/${agentB}/SOUL.md`), new RegExp(`^agents/${agentB}/SOUL\\.md: agent ${agentB} is not in this backup's agents`)],
			['a new file in another tenant\'s agent folder', plant(`agents/${agentB}/NEW.md`), new RegExp(`agents/${agentB}/NEW\\.md: agent ${agentB} is not in this backup's agents`)],
			['an agent folder of no agent', plant('agents/agt_nobody/SOUL.md'), /agents\/agt_nobody\/SOUL\.md: agent agt_nobody is not in this backup's agents/],
			["another tenant's document", plant(`documents/files/${docB.id}.${docB.ext}`), new RegExp(`documents/files/${docB.id}\\.${docB.ext}: document ${docB.id} is not in this backup's documents index`)],
			["another tenant's document text", plant(`documents/text/${docB.id}.txt`), new RegExp(`documents/text/${docB.id}\\.txt: document ${docB.id} is not in this backup's documents index`)],
			['an own document under another extension', plant(`documents/files/${docA.id}.sh`), new RegExp(`document ${docA.id} has extension ${docA.ext} in the documents index, not sh`)],
			['an agent folder of no agent, with a dot (escaped)', plant('agents/agt%2Ex/SOUL.md'), /^agents\/agt%2Ex\/SOUL\.md: agent agt\.x is not in this backup's agents/],
			['an agent folder with an unescaped dot (not how a backup writes it)', plant('agents/agt.x/SOUL.md'), /^agents\/agt\.x\/SOUL\.md: not agents\/<agent id>\/<file>, with a usable agent id/],
			['a document file without extension', plant(`documents/files/${docA.id}`), /not documents\/files\/<document id>\.<ext>/],
			['a document text of another shape', plant(`documents/text/${docA.id}.md`), /not documents\/text\/<document id>\.txt/],
		];
		for (const [name, edit, message] of cases) {
			const source = await editedBackup(original, {tenant: a!.slug}, edit);
			try {
				await expectRefused(source, 'unsafe-archive', message);
			} catch (error) {
				throw new Error(`${name}: ${(error as Error).message}`);
			}
		}
		// A backed-up agent whose id exists live in the other tenant stays an id collision.
		const collision = await editedBackup(original, {tenant: a!.slug}, dir => {
			const rows = readJsonl(path.join(dir, 'agents', 'agents.jsonl'));
			rows.find(row => row['id'] === agentA)!['id'] = agentB;
			writeJsonl(path.join(dir, 'agents', 'agents.jsonl'), rows);
			fs.renameSync(path.join(dir, 'agents', agentA), path.join(dir, 'agents', agentB));
		});
		await expectRefused(collision, 'conflict', new RegExp(`agents ${agentB} already exists in tenant ${b!.id}`));
	});

	it("metadata.json cannot widen a one-tenant backup's scope: replace touches only metadata.tenant, rows of other tenants are refused", async () => {
		const [a, b] = query<{id: string; slug: string; name: string}>(original, 'SELECT id, slug, name FROM tenants ORDER BY id');
		const lie = (dir: string) => {
			const file = path.join(dir, 'metadata.json');
			const metadata = JSON.parse(fs.readFileSync(file, 'utf8')) as {tenants: unknown[]};
			metadata.tenants.push({id: b!.id, slug: b!.slug, name: b!.name});
			fs.writeFileSync(file, JSON.stringify(metadata, null, 2) + '\n');
		};
		const source = await editedBackup(original, {tenant: a!.slug, categories: ['agents', 'chats', 'memory']}, lie);
		const dataDir = copyGateway(original);
		const otherTenant = () => ['agents', 'messages', 'memory_entries', 'conversations'].map(table => tableRows(dataDir, table, {where: 'tenant_id = ?', params: [b!.id]}));
		const before = otherTenant();
		expect(before.every(rows => rows.length > 0)).toBe(true);
		const agentFilesB = walkFiles(path.join(dataDir, 'agents'), relative => !before[0]!.some(row => relative.startsWith(String(row['id']))));
		const plan = await planRestore({source, dataDir, mode: 'replace'});
		expect(plan.scopeTenantIds).toEqual([a!.id]);
		expect(plan.totals.toDelete).toBe(0);
		await applyRestore({source, dataDir, mode: 'replace'});
		expect(otherTenant()).toEqual(before);
		expect(walkFiles(path.join(dataDir, 'agents'), relative => !before[0]!.some(row => relative.startsWith(String(row['id']))))).toEqual(agentFilesB);

		// With the lie in place, a row of the other tenant is refused outright.
		const withRow = await editedBackup(original, {tenant: a!.slug, categories: ['agents', 'chats', 'memory']}, dir => {
			lie(dir);
			const rows = readJsonl(path.join(dir, 'memory', 'entries.jsonl'));
			rows.push({...rows[0]!, id: 'mem_planted0001', tenant_id: b!.id});
			writeJsonl(path.join(dir, 'memory', 'entries.jsonl'), rows);
		});
		await expectRefused(withRow, 'unsafe-archive', new RegExp(`memory/entries\\.jsonl line \\d+: row of tenant ${b!.id}, which is not a tenant this backup covers`));

		// metadata.tenant must be among metadata.tenants.
		const missing = await editedBackup(original, {tenant: a!.slug, categories: ['agents']}, dir => {
			const file = path.join(dir, 'metadata.json');
			const metadata = JSON.parse(fs.readFileSync(file, 'utf8')) as {tenants: unknown[]};
			metadata.tenants = [{id: b!.id, slug: b!.slug, name: b!.name}];
			fs.writeFileSync(file, JSON.stringify(metadata, null, 2) + '\n');
		});
		const dataDir2 = copyGateway(original);
		const before2 = storeDigest(dataDir2);
		await expect(applyRestore({source: missing, dataDir: dataDir2, mode: 'replace'})).rejects.toMatchObject({message: expect.stringMatching(/tenant .*not among the tenants/)});
		expect(storeDigest(dataDir2)).toEqual(before2);
	});
});
