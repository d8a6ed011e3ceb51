/**
 * Generators of "legal" gateways for the property-based round-trip test (issue 8), and the
 * functions that materialise one in a fresh data dir and read a data dir back for comparison.
 *
 * Legal = anything SQLite accepts for the schema's DDL (NOT NULL where declared) and any file the
 * filesystem accepts. The gateway's data is the truth: ids with dots, colons, slashes, newlines
 * or 144 characters, text in INTEGER columns, integers beyond 2^53, BLOBs, NUL and invalid UTF-8
 * in TEXT, days with `/`, document extensions with dots, agent file names with backslashes or
 * newlines, agent file paths over 1,024 characters. A backup that exits 0 must restore all of it.
 *
 * The only things not generated are values the product changes by design: credential-looking
 * text in `scrub` columns and agent .md/.txt/.json files (scrubbed), and cross-tenant references
 * (not legal). Secret `redact` columns are generated freely; the comparison expects the marker.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {createGateway} from '../../source/core/store/gateway-store.js';
import {allColumns, REDACTED_MARKER, TABLES, type ColumnSpec, type TableSpec} from '../../source/core/store/schema.js';

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** A value as stored by SQLite: null, INTEGER (bigint), REAL (number), TEXT, BLOB, or TEXT made of invalid UTF-8. */
export type SqlValue = null | bigint | number | string | {blob: Uint8Array} | {invalidUtf8: Uint8Array};

/** Text that must not look like a credential (scrubbed columns and agent files are rewritten by design). */
export const CREDENTIAL_LOOKING = /(sk-|gh[pousr]_|github_pat|xox|akia|aiza|glpat|eyj|passw|pwd|token|secret|key|bearer|auth|cookie|credential|dsn|salt|otp|sas|:\/\/|@|-----begin|[?&;][a-z_]*=|=)/i;

const oddChar = fc.constantFrom(':', '.', '/', '\\', '\n', '\r', '\t', ' ', '\u0000', '"', "'", '%', '*', '?', '<', '>', '|', '~', '#', 'é', 'ß', '漢', '🚀', '\u200b', '\u202e', '\ufeff');
const plainChar = fc.constantFrom(...'abcXYZ019_-'.split(''));
const oddUnit = fc.oneof({weight: 4, arbitrary: plainChar}, {weight: 3, arbitrary: oddChar}, {weight: 1, arbitrary: fc.string({unit: 'binary', minLength: 1, maxLength: 1})});

/** A safe id, as the product has always accepted. */
export const safeId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/);

/** Ids and references: anything a TEXT PRIMARY KEY accepts. */
export const anyId: fc.Arbitrary<string> = fc.oneof(
	{withCrossShrink: true},
	{weight: 4, arbitrary: safeId},
	{
		weight: 3,
		arbitrary: fc.constantFrom('msg:1', 'agt.v2', 'x'.repeat(144), '.', '..', '../etc', 'a/b', 'a\\b', 'a\nb', ' lead', 'trail ', '', 'naïve', '🚀', 'CON', '-x', 'a\u0000b', 'x.md', '%2F'),
	},
	{weight: 3, arbitrary: fc.string({unit: oddUnit, minLength: 1, maxLength: 12})},
	{weight: 1, arbitrary: fc.string({unit: plainChar, minLength: 129, maxLength: 300})},
);

const invalidUtf8 = fc.oneof(
	fc.constantFrom(Uint8Array.from([0xc3, 0x28, 0xff]), Uint8Array.from([0xff]), Uint8Array.from([0x61, 0xed, 0xa0, 0x80, 0x62])),
	fc.uint8Array({maxLength: 8}).map(bytes => Uint8Array.from([...bytes, 0xff, 0xfe])),
).map(bytes => ({invalidUtf8: bytes}));

const blob = fc.uint8Array({maxLength: 24}).map(bytes => ({blob: bytes}));

const integer: fc.Arbitrary<bigint> = fc.oneof(
	fc.integer({min: -1000, max: 1000}).map(BigInt),
	fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
	fc.constantFrom(2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 0n),
);

const real: fc.Arbitrary<number> = fc.oneof(
	fc.double({noNaN: true}),
	fc.constantFrom(0.1, 0.1 + 0.2, -0, 1e308, -1e-308, 5e-324, Number.MAX_SAFE_INTEGER + 2, Infinity, -Infinity, 1.5),
);

const text: fc.Arbitrary<string> = fc.oneof(
	{weight: 3, arbitrary: fc.string({unit: 'binary', maxLength: 24})},
	{weight: 2, arbitrary: fc.string({unit: oddUnit, maxLength: 24})},
	{weight: 1, arbitrary: fc.string({unit: 'grapheme', maxLength: 12})},
	{weight: 2, arbitrary: fc.constantFrom('', '\u0000', 'a\u0000b', '012', '1e3', ' 42 ', '9007199254740993', '-0', '0x10', 'null', '{"a":1}', '[]', '🚀', 'line\nbreak')},
);

const cleanText = text.filter(value => !CREDENTIAL_LOOKING.test(value));

/** A value for a column, by its declared type; every SQLite storage class is possible everywhere. */
export function columnValue(column: ColumnSpec): fc.Arbitrary<SqlValue> {
	const textArb = column.scrub ? cleanText : text;
	const choices: Array<fc.WeightedArbitrary<SqlValue>> =
		column.type === 'INTEGER'
			? [{weight: 6, arbitrary: integer}, {weight: 2, arbitrary: textArb}, {weight: 1, arbitrary: real}, {weight: 1, arbitrary: blob}]
			: column.type === 'REAL'
				? [{weight: 6, arbitrary: real}, {weight: 1, arbitrary: integer}, {weight: 2, arbitrary: textArb}, {weight: 1, arbitrary: blob}]
				: [{weight: 8, arbitrary: textArb}, {weight: 1, arbitrary: integer}, {weight: 1, arbitrary: real}, {weight: 1, arbitrary: blob}, {weight: 1, arbitrary: invalidUtf8}];
	if (column.nullable) choices.push({weight: 2, arbitrary: fc.constant(null)});
	// Cross-shrink: a failing BLOB or big integer shrinks towards the plain value of the column's type.
	return fc.oneof({withCrossShrink: true}, ...choices);
}

// ---------------------------------------------------------------------------------------------
// File names
// ---------------------------------------------------------------------------------------------

/** A name Linux accepts as one path segment. */
export function isValidSegment(name: string): boolean {
	return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\u0000') && Buffer.byteLength(name) <= 255;
}

const segmentUnit = fc.oneof(
	{weight: 5, arbitrary: plainChar},
	{weight: 3, arbitrary: fc.constantFrom('\\', '\n', ' ', '.', ':', '*', '?', '"', 'é', '漢', '🚀', '\t', '#', '%', "'")},
	{weight: 1, arbitrary: fc.string({unit: 'binary', minLength: 1, maxLength: 1})},
);
const segment = fc.string({unit: segmentUnit, minLength: 1, maxLength: 16}).filter(isValidSegment);
const agentFileExt = fc.constantFrom('.md', '.md', '.txt', '.MD', '.json', '.env', '.bin', '', '.md.bak', '.pem');

export type AgentFile = {relative: string; bytes: Uint8Array};

/** Every way the text scrubber may read bytes: Latin-1, UTF-8, UTF-16 of either order, and with NULs dropped. */
const bytesViews = (bytes: Uint8Array): string[] => {
	const buffer = Buffer.from(bytes);
	const even = buffer.subarray(0, buffer.length & ~1);
	return [buffer.toString('latin1'), buffer.toString('utf8'), even.toString('utf16le'), Buffer.from(even).swap16().toString('utf16le'), buffer.toString('latin1').replaceAll('\0', '')];
};
const cleanBytes = fc.uint8Array({maxLength: 64}).filter(bytes => !bytesViews(bytes).some(view => CREDENTIAL_LOOKING.test(view)));
const cleanJson = fc
	.record({name: cleanText, model: cleanText, temperature: fc.integer({min: -5, max: 5}), tags: fc.array(cleanText, {maxLength: 3})}, {requiredKeys: ['name']})
	.map(object => new TextEncoder().encode(JSON.stringify(object, null, 2) + '\n'));

/** One file of an agent folder: nested folders, odd names, sometimes a path over 1,024 characters. */
const agentFile: fc.Arbitrary<AgentFile> = fc
	.tuple(
		fc.oneof(
			{withCrossShrink: true},
			{weight: 5, arbitrary: fc.array(segment, {maxLength: 2})},
			{weight: 1, arbitrary: fc.integer({min: 5, max: 6}).map(count => Array.from({length: count}, (_, index) => `${'d'.repeat(240)}${index}`))},
		),
		fc.oneof({withCrossShrink: true}, {weight: 6, arbitrary: segment}, {weight: 1, arbitrary: fc.constantFrom('.hidden', '.env', 'SOUL', 'name\\with\\backslash', 'new\nline', 'x'.repeat(240))}),
		agentFileExt,
		cleanBytes,
		cleanJson,
	)
	.filter(([, base, ext]) => isValidSegment(base + ext))
	.map(([folders, base, ext, bytes, json]) => ({relative: [...folders, base + ext].join('/'), bytes: ext === '.json' ? json : bytes}));

/** What the product does with an agent file, by design (source/core/store/agent-files.ts). */
export function agentFileKind(relative: string): 'copy' | 'json' | 'skip' {
	const segments = relative.split('/');
	if (segments.some(segment => segment.startsWith('.'))) return 'skip'; // a dotfile, or any file in a dot-folder
	const name = segments.at(-1)!;
	const lower = name.toLowerCase();
	if (lower.endsWith('.md') || lower.endsWith('.txt')) return 'copy';
	if (lower.endsWith('.json')) return 'json';
	return 'skip';
}

const plainAgentFile: fc.Arbitrary<AgentFile> = fc
	.tuple(fc.constantFrom('SOUL.md', 'BOOT.md', 'notes/today.txt', 'config.json'), cleanBytes, cleanJson)
	.map(([relative, bytes, json]) => ({relative, bytes: relative.endsWith('.json') ? json : bytes}));

const documentExt = fc.oneof(
	{withCrossShrink: true},
	{weight: 3, arbitrary: fc.constantFrom('pdf', 'md', 'png', 'gz')},
	{weight: 3, arbitrary: fc.constantFrom('tar.gz', '', 'ÉTÉ', 'a b', '.hidden', 'x'.repeat(20), 'back\\slash', 'a\nb', '..', 'a/b')},
	{weight: 2, arbitrary: fc.string({unit: segmentUnit, maxLength: 8})},
);

// ---------------------------------------------------------------------------------------------
// Gateways
// ---------------------------------------------------------------------------------------------

/** A reference before it is resolved against the generated rows of the same tenant. */
export type RefChoice = {pick: number} | {dangling: string} | null;

export type RowModel = {tenant: number; id: string; values: Record<string, SqlValue | RefChoice | RefChoice[] | string>};

export type DocumentFiles = {file?: Uint8Array; text?: Uint8Array};

export type GatewayModel = {
	tenants: Array<{id: string; slug: string; name: SqlValue; plan: SqlValue; createdAt: SqlValue}>;
	/** Rows per table (tenants excluded), before references are resolved. */
	rows: Record<string, RowModel[]>;
	/** Files per agent row (by index into rows.agents); only agents whose id can name a folder get any. */
	agentFiles: Record<number, AgentFile[]>;
	documentFiles: Record<number, DocumentFiles>;
	license?: Uint8Array;
	gatewayName: string;
};

const refChoice = (nullable: boolean, ids: fc.Arbitrary<string>): fc.Arbitrary<RefChoice> =>
	fc.oneof(
		{withCrossShrink: true},
		{weight: 5, arbitrary: fc.nat(20).map(pick => ({pick}))},
		{weight: 2, arbitrary: ids.map(dangling => ({dangling}))},
		...(ids === anyId ? [{weight: 1, arbitrary: fc.constant({dangling: ''})}] : []),
		...(nullable ? [{weight: 2, arbitrary: fc.constant(null)}] : []),
	);

const refListChoice = (ids: fc.Arbitrary<string>): fc.Arbitrary<RefChoice[] | string> =>
	fc.oneof(
		{weight: 5, arbitrary: fc.array(refChoice(false, ids), {maxLength: 3})},
		...(ids === anyId ? [{weight: 1, arbitrary: fc.constantFrom('', '[]', 'not json', '[1,2]')}] : []),
	);

/** A plain value of the declared type: what the product always handled (for properties that focus elsewhere). */
function plainValue(column: ColumnSpec): fc.Arbitrary<SqlValue> {
	if (column.type === 'INTEGER') return fc.integer({min: 0, max: 1000}).map(BigInt);
	if (column.type === 'REAL') return fc.constantFrom(0.5, 1.25, 3);
	return fc.stringMatching(/^[a-z][a-z ]{0,8}$/);
}

export type GatewayOptions = {
	/** Largest number of rows per table. */
	maxRows?: number;
	/** Tables to fill (default: a random subset of all). */
	tables?: readonly string[];
	/** Ids of rows and tenants (default: anyId). */
	ids?: fc.Arbitrary<string>;
	/** Only plain values of the declared type in non-id columns (days and document extensions aside). */
	plainValues?: boolean;
	/** Only plain days and document extensions (the values that name archive entries and files). */
	plainNames?: boolean;
	/** Agent folders and document files (default true). */
	files?: boolean;
};

function rowArbitrary(table: TableSpec, tenants: number, options: GatewayOptions): fc.Arbitrary<RowModel> {
	const values: Record<string, fc.Arbitrary<unknown>> = {};
	for (const column of allColumns(table)) {
		if (column.name === 'id' || column.name === 'tenant_id') continue;
		if (column.ref) values[column.name] = refChoice(column.nullable === true, options.ids ?? anyId);
		else if (column.refList) values[column.name] = refListChoice(options.ids ?? anyId);
		else if (options.plainNames && table.name === 'memory_daily_logs' && column.name === 'day') values[column.name] = fc.constantFrom('2026-11-30', '2026-12-01');
		else if (options.plainNames && table.name === 'documents' && column.name === 'ext') values[column.name] = fc.constantFrom('pdf', 'md');
		else if (options.plainValues && !(table.name === 'memory_daily_logs' && column.name === 'day') && !(table.name === 'documents' && column.name === 'ext')) values[column.name] = plainValue(column);
		else if (table.name === 'memory_daily_logs' && column.name === 'day') {
			values[column.name] = fc.oneof(
				{withCrossShrink: true},
				{weight: 2, arbitrary: fc.constantFrom('2026-11-30', '2026-12-01')},
				{weight: 3, arbitrary: fc.constantFrom('2026/11/30', '..', '.', '../up', 'a\nb', '', 'día', 'x'.repeat(300), 'with space', 'back\\slash', '2026-11-30.jsonl')},
				{weight: 2, arbitrary: fc.string({unit: oddUnit, maxLength: 12})},
			);
		} else if (table.name === 'documents' && column.name === 'ext') values[column.name] = documentExt;
		else values[column.name] = columnValue(column);
	}
	return fc.record({tenant: fc.nat(tenants - 1), id: options.ids ?? anyId, values: fc.record(values) as fc.Arbitrary<RowModel['values']>});
}

const DATA_TABLES = TABLES.filter(table => table.name !== 'tenants');

/** A small gateway: 1-3 tenants, a few rows in a random subset of tables, agent folders, documents. */
export function gatewayModel(options: GatewayOptions = {}): fc.Arbitrary<GatewayModel> {
	const maxRows = options.maxRows ?? 3;
	const ids = options.ids ?? anyId;
	const tableNames = DATA_TABLES.map(table => table.name);
	return fc.integer({min: 1, max: 3}).chain(tenantCount =>
		fc
			.record({
				tenants: fc.uniqueArray(
					fc.record({
						id: ids,
						slug: ids,
						name: options.plainValues ? plainValue({name: 'name', type: 'TEXT'}) : columnValue({name: 'name', type: 'TEXT'}),
						plan: options.plainValues ? plainValue({name: 'plan', type: 'TEXT'}) : columnValue({name: 'plan', type: 'TEXT'}),
						createdAt: options.plainValues ? plainValue({name: 'created_at', type: 'TEXT'}) : columnValue({name: 'created_at', type: 'TEXT'}),
					}),
					{minLength: tenantCount, maxLength: tenantCount, selector: tenant => tenant.id},
				).filter(tenants => new Set(tenants.map(tenant => tenant.slug)).size === tenants.length),
				tables: options.tables ? fc.constant([...options.tables]) : fc.subarray(tableNames),
				license: fc.option(fc.uint8Array({minLength: 1, maxLength: 32}), {nil: undefined}),
				gatewayName: cleanText,
			})
			.chain(({tenants, tables, license, gatewayName}) => {
				const rowArbs: Record<string, fc.Arbitrary<RowModel[]>> = {};
				for (const name of tables) {
					const table = TABLES.find(spec => spec.name === name)!;
					rowArbs[name] = fc.uniqueArray(rowArbitrary(table, tenantCount, options), {minLength: 1, maxLength: maxRows, selector: row => row.id});
				}
				return fc.record(rowArbs).chain(rows => {
					const agents = rows['agents'] ?? [];
					const documents = rows['documents'] ?? [];
					const agentFiles: Record<string, fc.Arbitrary<AgentFile[]>> = {};
					agents.forEach((agent, index) => {
						if (options.files !== false && isValidSegment(agent.id)) agentFiles[index] = fc.uniqueArray(options.plainNames ? plainAgentFile : agentFile, {maxLength: 3, selector: file => file.relative});
					});
					const documentFiles: Record<string, fc.Arbitrary<DocumentFiles>> = {};
					documents.forEach((_, index) => {
						if (options.files !== false) documentFiles[index] = fc.record({file: fc.uint8Array({maxLength: 48}), text: fc.uint8Array({maxLength: 32})}, {requiredKeys: []});
					});
					return fc.record({agentFiles: fc.record(agentFiles), documentFiles: fc.record(documentFiles)}).map(files => ({
						tenants,
						rows,
						agentFiles: files.agentFiles as GatewayModel['agentFiles'],
						documentFiles: files.documentFiles as GatewayModel['documentFiles'],
						license,
						gatewayName,
					}));
				});
			}),
	);
}

// ---------------------------------------------------------------------------------------------
// Materialising a model
// ---------------------------------------------------------------------------------------------

/** A value as better-sqlite3 binds it, with the SQL placeholder that stores it with its class. */
function bindValue(value: SqlValue): {sql: string; param: unknown} {
	if (value !== null && typeof value === 'object') {
		if ('blob' in value) return {sql: '?', param: Buffer.from(value.blob)};
		return {sql: 'CAST(? AS TEXT)', param: Buffer.from(value.invalidUtf8)};
	}
	return {sql: '?', param: value};
}

function insertRow(db: Database.Database, table: string, values: Record<string, SqlValue>): void {
	const names = Object.keys(values);
	const bound = names.map(name => bindValue(values[name]!));
	db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${bound.map(item => item.sql).join(', ')})`).run(...bound.map(item => item.param));
}

/** Resolves the model's references: same-tenant picks, dangling values that name no row of any tenant. */
export function resolveRows(model: GatewayModel): Record<string, Array<Record<string, SqlValue>>> {
	const tenantOf = (row: RowModel) => model.tenants[row.tenant % model.tenants.length]!.id;
	const idsOf = (table: string, tenantId: string) => (model.rows[table] ?? []).filter(row => tenantOf(row) === tenantId).map(row => row.id);
	const allIds = (table: string) => new Set(table === 'tenants' ? model.tenants.map(tenant => tenant.id) : (model.rows[table] ?? []).map(row => row.id));
	const resolve = (choice: RefChoice, target: string, tenantId: string): string | null => {
		if (choice === null) return null;
		if ('pick' in choice) {
			const candidates = idsOf(target, tenantId);
			if (candidates.length > 0) return candidates[choice.pick % candidates.length]!;
			choice = {dangling: `dangling-${choice.pick}`};
		}
		// A dangling reference is legal; one that happens to name another tenant's row is not.
		let value = choice.dangling;
		const ids = allIds(target);
		const own = new Set(idsOf(target, tenantId));
		while (ids.has(value) && !own.has(value)) value += '~dangling';
		return value;
	};
	const out: Record<string, Array<Record<string, SqlValue>>> = {
		tenants: model.tenants.map(tenant => ({id: tenant.id, tenant_id: tenant.id, created_at: tenant.createdAt ?? '', updated_at: '2026-11-30T00:00:00Z', name: tenant.name ?? '', slug: tenant.slug, plan: tenant.plan ?? ''})),
	};
	for (const table of DATA_TABLES) {
		const rows = model.rows[table.name];
		if (!rows) continue;
		out[table.name] = rows.map(row => {
			const tenantId = tenantOf(row);
			const values: Record<string, SqlValue> = {id: row.id, tenant_id: tenantId};
			for (const column of allColumns(table)) {
				if (column.name === 'id' || column.name === 'tenant_id') continue;
				const raw = row.values[column.name];
				if (column.ref) values[column.name] = resolve(raw as RefChoice, column.ref, tenantId);
				else if (column.refList) values[column.name] = typeof raw === 'string' ? raw : JSON.stringify((raw as RefChoice[]).map(choice => resolve(choice, column.refList!, tenantId)));
				else values[column.name] = raw as SqlValue;
			}
			return values;
		});
	}
	return out;
}

export type MaterialisedGateway = {
	dataDir: string;
	/** Agent files the backup must carry (relative to the data dir), and those it skips by design. */
	agentFiles: string[];
	skippedAgentFiles: string[];
	documentFiles: string[];
};

/** Writes the model into a fresh data dir through the engine's own createGateway and plain SQL. */
export function materialise(model: GatewayModel, dataDir: string): MaterialisedGateway {
	const store = createGateway(dataDir);
	const rows = resolveRows(model);
	try {
		store.db.transaction(() => {
			for (const table of TABLES) for (const row of rows[table.name] ?? []) insertRow(store.db, table.name, row);
		})();
		store.db.pragma('wal_checkpoint(TRUNCATE)');
	} finally {
		store.close();
	}
	const root = path.resolve(dataDir);
	const written: MaterialisedGateway = {dataDir: root, agentFiles: [], skippedAgentFiles: [], documentFiles: []};
	const agents = model.rows['agents'] ?? [];
	for (const [index, files] of Object.entries(model.agentFiles)) {
		const agent = agents[Number(index)]!;
		const taken = new Set<string>();
		for (const file of files) {
			// A file cannot sit where a folder of another file is (or the other way round).
			const parts = file.relative.split('/');
			const prefixes = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
			if (prefixes.some(prefix => taken.has(`f:${prefix}`)) || taken.has(`d:${file.relative}`)) continue;
			taken.add(`f:${file.relative}`);
			for (const prefix of prefixes) taken.add(`d:${prefix}`);
			const full = path.join(root, 'agents', agent.id, ...parts);
			fs.mkdirSync(path.dirname(full), {recursive: true});
			fs.writeFileSync(full, file.bytes);
			const relative = ['agents', agent.id, ...parts].join('/');
			(agentFileKind(file.relative) === 'skip' ? written.skippedAgentFiles : written.agentFiles).push(relative);
		}
		fs.mkdirSync(path.join(root, 'agents', agent.id), {recursive: true});
	}
	const documents = rows['documents'] ?? [];
	const names = new Set<string>();
	for (const [index, files] of Object.entries(model.documentFiles)) {
		const document = documents[Number(index)]!;
		const id = document['id'] as string;
		const ext = document['ext'];
		const fileName = typeof ext === 'string' ? `${id}.${ext}` : '';
		if (files.file && isValidSegment(fileName) && !names.has(`files/${fileName}`)) {
			names.add(`files/${fileName}`);
			fs.writeFileSync(path.join(root, 'documents', 'files', fileName), files.file);
			written.documentFiles.push(`documents/files/${fileName}`);
		}
		if (files.text && isValidSegment(`${id}.txt`) && !names.has(`text/${id}.txt`)) {
			names.add(`text/${id}.txt`);
			fs.writeFileSync(path.join(root, 'documents', 'text', `${id}.txt`), files.text);
			written.documentFiles.push(`documents/text/${id}.txt`);
		}
	}
	fs.writeFileSync(path.join(root, 'appsettings.json'), JSON.stringify({Gateway: {Name: model.gatewayName}, Logging: {Level: 'Information'}}, null, 2) + '\n');
	if (model.license) fs.writeFileSync(path.join(root, 'license.key'), model.license);
	return written;
}

// ---------------------------------------------------------------------------------------------
// Reading a data dir back
// ---------------------------------------------------------------------------------------------

/** One cell, exactly: storage class and bytes (`text:<hex>`, `integer:<decimal>`, `real:<JS number>`, …). */
export type Cell = string;

function cellSql(column: string): string {
	return `typeof(${column}) AS "t:${column}", CASE WHEN typeof(${column}) IN ('text', 'blob') THEN hex(${column}) ELSE ${column} END AS "v:${column}"`;
}

function cell(type: string, value: unknown): Cell {
	if (type === 'null') return 'null';
	if (type === 'real') return `real:${Object.is(value, -0) ? '-0' : String(value)}`;
	return `${type}:${String(value)}`;
}

export const TEXT_MARKER_CELL = `text:${Buffer.from(REDACTED_MARKER).toString('hex').toUpperCase()}`;

/** Every row of every table as exact cells, keyed by the id's bytes, in id order. */
export function readTables(dataDir: string): Record<string, Array<Record<string, Cell>>> {
	const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true, fileMustExist: true});
	db.defaultSafeIntegers(true);
	try {
		const out: Record<string, Array<Record<string, Cell>>> = {};
		for (const table of TABLES) {
			const columns = allColumns(table).map(column => column.name);
			const raw = db.prepare(`SELECT ${columns.map(cellSql).join(', ')} FROM ${table.name} ORDER BY hex(id)`).all() as Array<Record<string, unknown>>;
			out[table.name] = raw.map(row => Object.fromEntries(columns.map(column => [column, cell(row[`t:${column}`] as string, row[`v:${column}`])])));
		}
		return out;
	} finally {
		db.close();
	}
}

/** Every file under agents/ and documents/ (relative, `/`-separated) with its SHA-256. */
export function readFiles(dataDir: string): Record<string, string> {
	const out: Record<string, string> = {};
	const walk = (dir: string, relative: string) => {
		if (!fs.existsSync(dir)) return;
		for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			const child = relative ? `${relative}/${entry.name}` : entry.name;
			if (entry.isDirectory()) walk(full, child);
			else out[child] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
		}
	};
	walk(path.join(dataDir, 'agents'), 'agents');
	walk(path.join(dataDir, 'documents'), 'documents');
	return out;
}

// ---------------------------------------------------------------------------------------------
// Fixed examples
// ---------------------------------------------------------------------------------------------

/** A row of plain values (references pick the tenant's first row of the target table), with overrides. */
export function plainRow(table: string, id: string, overrides: Record<string, unknown> = {}, tenant = 0): RowModel {
	const spec = TABLES.find(candidate => candidate.name === table)!;
	const values: Record<string, unknown> = {};
	for (const column of allColumns(spec)) {
		if (column.name === 'id' || column.name === 'tenant_id') continue;
		values[column.name] = column.ref ? {pick: 0} : column.refList ? [] : column.type === 'INTEGER' ? 1n : column.type === 'REAL' ? 0.5 : 'v';
	}
	if (table === 'memory_daily_logs') values['day'] = '2026-11-30';
	if (table === 'documents') values['ext'] = 'pdf';
	return {tenant, id, values: {...values, ...overrides} as RowModel['values']};
}

/** A one-tenant gateway holding the given rows and files. */
export function fixedGateway(rows: Record<string, RowModel[]>, extra: Partial<GatewayModel> = {}): GatewayModel {
	return {tenants: [{id: 'tenant-1', slug: 'acme', name: 'Acme', plan: 'pro', createdAt: '2026-11-30T00:00:00Z'}], rows, agentFiles: {}, documentFiles: {}, gatewayName: 'gateway', ...extra};
}

const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * The odd-but-legal gateways the issue names, one per class: each must back up, verify and
 * restore (exit 0 everywhere) to exactly itself.
 */
export const ISSUE_EXAMPLES: ReadonlyArray<{name: string; model: GatewayModel}> = [
	{name: 'message id msg:1', model: fixedGateway({conversations: [plainRow('conversations', 'conv-1')], messages: [plainRow('messages', 'msg:1')]})},
	{name: 'agent id agt.v2 with its folder', model: fixedGateway({agents: [plainRow('agents', 'agt.v2')]}, {agentFiles: {0: [{relative: 'SOUL.md', bytes: bytes('# soul\n')}]}})},
	{name: 'a 144-character id', model: fixedGateway({messages: [plainRow('messages', 'm'.repeat(144))]})},
	{name: 'an empty-string persona_id', model: fixedGateway({conversations: [plainRow('conversations', 'conv-1', {persona_id: {dangling: ''}})]})},
	{name: 'text in an INTEGER column', model: fixedGateway({messages: [plainRow('messages', 'msg-1', {token_count: 'n/a'})]})},
	{name: 'an integer beyond 2^53', model: fixedGateway({messages: [plainRow('messages', 'msg-1', {token_count: 2n ** 53n + 1n})]})},
	{name: 'a BLOB', model: fixedGateway({messages: [plainRow('messages', 'msg-1', {content: {blob: Uint8Array.from([0, 1, 254, 255])}})]})},
	{name: 'invalid UTF-8 in TEXT', model: fixedGateway({messages: [plainRow('messages', 'msg-1', {content: {invalidUtf8: Uint8Array.from([0xc3, 0x28, 0xff])}})]})},
	{name: 'a document extension with a dot (tar.gz)', model: fixedGateway({documents: [plainRow('documents', 'doc-1', {ext: 'tar.gz'})]}, {documentFiles: {0: {file: bytes('archive'), text: bytes('text')}}})},
	{
		name: 'an agent file path over 1,024 characters',
		model: fixedGateway({agents: [plainRow('agents', 'agent-1')]}, {agentFiles: {0: [{relative: [...Array.from({length: 5}, (_, index) => `${'d'.repeat(240)}${index}`), 'notes.md'].join('/'), bytes: bytes('deep\n')}]}}),
	},
	{name: 'an agent file with a backslash in its name', model: fixedGateway({agents: [plainRow('agents', 'agent-1')]}, {agentFiles: {0: [{relative: 'back\\slash.md', bytes: bytes('x\n')}]}})},
	{name: 'an agent file with a newline in its name', model: fixedGateway({agents: [plainRow('agents', 'agent-1')]}, {agentFiles: {0: [{relative: 'new\nline.md', bytes: bytes('x\n')}]}})},
	{name: 'a daily log whose day contains /', model: fixedGateway({agents: [plainRow('agents', 'agent-1')], memory_daily_logs: [plainRow('memory_daily_logs', 'log-1', {day: '2026/11/30'})]})},
	{name: 'a daily log whose day contains a newline', model: fixedGateway({agents: [plainRow('agents', 'agent-1')], memory_daily_logs: [plainRow('memory_daily_logs', 'log-1', {day: '2026-11-30\n'})]})},
];
