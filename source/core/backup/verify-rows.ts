import Database from 'better-sqlite3';
import type {BackupMetadata} from '../archive/archive-format.js';
import type {EntryRoute, FileRoute} from '../archive/archive-paths.js';
import {LifeboatError} from '../errors.js';
import {ReferenceCheck} from '../rows/reference-check.js';
import {codecFor, parseRow, rowTenant} from '../rows/table-codec.js';
import {showId, type StoredValue} from '../rows/value-codec.js';
import {TABLES, type CategoryId} from '../store/schema.js';
import {backupTenants} from './backup-scope.js';

/**
 * The row-level half of verify: every row is checked the way restore checks it (rowValues: schema,
 * types, keys; the backup's tenant scope; no id twice in a table; references inside their tenant),
 * every agent or document file has its row, and each table's row count is the one metadata.json
 * states. So a backup that verifies is one that restores. Bounded memory: ids go to a temporary
 * on-disk SQLite database, dropped at the end.
 */
export class RowAudit {
	private readonly db = new Database('');
	private readonly references: ReferenceCheck;
	private readonly tenants: Set<string>;
	private readonly targets = new Set<string>();
	private readonly rowCounts = new Map<string, number>();
	private readonly agentIds = new Set<string>();
	private readonly documents = new Map<string, StoredValue>();
	private readonly files: Array<{path: string; route: FileRoute}> = [];

	/** `skipOrderedIds`: see ReferenceCheck (a row out of order then throws IdsOutOfOrder). */
	constructor(
		private readonly metadata: BackupMetadata,
		options: {skipOrderedIds?: boolean} = {},
	) {
		this.tenants = new Set(backupTenants(metadata).map(tenant => tenant.id));
		this.references = new ReferenceCheck(this.db, {live: false, restored: new Set(TABLES.map(table => table.name)), suffix: '', skipOrderedIds: options.skipOrderedIds});
	}

	/** One JSONL line of a table entry (`line` counts from 1 within the entry). */
	row(route: Extract<EntryRoute, {kind: 'table'}>, text: string, where: string): void {
		const codec = codecFor(route.table);
		const table = route.table.name;
		const values = parseRow(codec, text, where);
		const id = values[0] as string;
		const owner = rowTenant(codec, values);
		if (!this.tenants.has(owner)) throw new LifeboatError('unsafe-archive', `${where}: row of tenant ${showId(owner)}, which is not a tenant this backup covers`);
		this.references.row(codec, values, where);
		if (table === 'agents') this.agentIds.add(id);
		if (table === 'documents') this.documents.set(id, values[codec.extColumn!] ?? null);
		this.rowCounts.set(table, (this.rowCounts.get(table) ?? 0) + 1);
	}

	tableDone(table: string): void {
		this.references.tableDone(table);
		if (!this.rowCounts.has(table)) this.rowCounts.set(table, 0);
	}

	file(path: string, route: FileRoute): void {
		if (route.kind === 'gateway-file') return;
		this.files.push({path, route});
		// Where restore would write it: two entries must never land on one file.
		const target = route.kind === 'agent-file' ? `agents/${route.ownerId}/${route.rest}` : route.kind === 'document-file' ? `files/${route.ownerId}.${route.ext}` : `text/${route.ownerId}`;
		if (this.targets.has(target)) throw new LifeboatError('unsafe-archive', `${path}: lands on the same file as another entry of this archive`);
		this.targets.add(target);
	}

	/** The checks that need the whole archive read; returns one sentence per problem. */
	finish(): string[] {
		const problems: string[] = [];
		try {
			this.references.finish();
		} catch (error) {
			if (!(error instanceof LifeboatError)) throw error;
			problems.push(error.message);
		}
		for (const {path, route} of this.files) {
			if (route.kind === 'agent-file' && !this.agentIds.has(route.ownerId)) problems.push(`${path}: agent ${showId(route.ownerId)} is not in this backup's agents`);
			if (route.kind === 'document-file' || route.kind === 'document-text') {
				const ext = this.documents.get(route.ownerId);
				if (ext === undefined && !this.documents.has(route.ownerId)) problems.push(`${path}: document ${showId(route.ownerId)} is not in this backup's documents index`);
				else if (route.kind === 'document-file' && ext !== route.ext) problems.push(`${path}: the documents index gives this document another extension`);
			}
		}
		for (const [category, counts] of Object.entries(this.metadata.counts)) {
			for (const [table, expected] of Object.entries(counts.tables)) {
				const actual = this.rowCounts.get(table) ?? 0;
				if (actual !== expected) problems.push(`${table}: ${actual} rows in the archive, metadata.json says ${expected} (${category as CategoryId})`);
			}
		}
		return problems;
	}

	close(): void {
		this.db.close();
	}
}
