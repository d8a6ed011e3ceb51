/**
 * `backup diff`: two sides (backups of any format, encrypted or not, local or remote, or a live
 * data dir) compared per category by id and content. Each side is read once into an on-disk
 * scratch store (diff-store.ts) and compared there with SQL, so memory does not grow with either.
 */
import type {BackupMetadata} from '../archive/archive-format.js';
import {backupTenants} from '../backup/backup-scope.js';
import {readMetadata} from '../backup/read-metadata.js';
import {openGateway} from '../store/gateway-store.js';
import {CATEGORIES, CATEGORY_IDS, type CategoryId} from '../store/schema.js';
import {readBackupSide, type SidePlan} from './backup-side.js';
import {DiffStore, type Side} from './diff-store.js';
import {DIFF_ID_LIMIT, type CategoryDiff, type DiffCounts, type DiffOptions, type DiffResult, type DiffSideInfo, type DiffSideInput, type EntityDiff} from './diff-types.js';
import {entityDiff, type CapturedEntity} from './entity.js';
import {readLiveSide} from './live-side.js';

type Described = {input: DiffSideInput; info: DiffSideInfo; metadata?: BackupMetadata; tenantId: string | null};

async function describe(input: DiffSideInput): Promise<Described> {
	if (input.kind === 'live') {
		openGateway(input.dataDir, {readonly: true}).close();
		return {input, info: {kind: 'live', label: input.dataDir, tenant: null, categories: [...CATEGORY_IDS]}, tenantId: null};
	}
	const metadata = await readMetadata(input.source);
	backupTenants(metadata);
	const categories = CATEGORY_IDS.filter(id => metadata.categories.includes(id));
	const info: DiffSideInfo = {kind: 'backup', label: input.source.label, name: metadata.name, createdAt: metadata.createdAt, tenant: metadata.tenant?.slug ?? null, categories};
	return {input, info, metadata, tenantId: metadata.tenant?.id ?? null};
}

/**
 * The tenant both sides are compared in: a one-tenant backup against a whole gateway (or a backup
 * of it) compares that tenant only; two one-tenant backups of different tenants compare as they are.
 */
function scopeOf(a: Described, b: Described): string | null {
	if (a.tenantId !== null && b.tenantId !== null) return a.tenantId === b.tenantId ? a.tenantId : null;
	return a.tenantId ?? b.tenantId;
}

function emptyCounts(): DiffCounts {
	return {added: 0, removed: 0, changed: 0, unchanged: 0};
}

function addCounts(into: DiffCounts, counts: DiffCounts): void {
	into.added += counts.added;
	into.removed += counts.removed;
	into.changed += counts.changed;
	into.unchanged += counts.unchanged;
}

function categoryDiff(store: DiffStore, category: CategoryId, limit: number): CategoryDiff {
	const spec = CATEGORIES.find(entry => entry.id === category)!;
	const byTable = store.counts(category);
	const tables: Record<string, DiffCounts> = {};
	const sum = emptyCounts();
	// Tables in the schema's order, then files.
	for (const table of [...spec.tables, 'files']) {
		const counts = byTable.get(table);
		if (!counts) continue;
		tables[table] = counts;
		addCounts(sum, counts);
	}
	return {
		category,
		label: spec.label,
		...sum,
		tables,
		addedIds: store.ids(category, 'added', limit, sum.added),
		removedIds: store.ids(category, 'removed', limit, sum.removed),
		changedIds: store.ids(category, 'changed', limit, sum.changed),
	};
}

export async function diffSides(a: DiffSideInput, b: DiffSideInput, options: DiffOptions = {}): Promise<DiffResult> {
	const started = Date.now();
	const sides = [await describe(a), await describe(b)] as const;
	const compared = CATEGORY_IDS.filter(id => sides[0].info.categories.includes(id) && sides[1].info.categories.includes(id));
	const notCompared: DiffResult['notCompared'] = [];
	for (const id of CATEGORY_IDS) {
		if (compared.includes(id)) continue;
		if (sides[0].info.categories.includes(id)) notCompared.push({category: id, onlyIn: 'A'});
		else if (sides[1].info.categories.includes(id)) notCompared.push({category: id, onlyIn: 'B'});
	}
	const scopeTenant = scopeOf(sides[0], sides[1]);
	const warnings: string[] = [];
	// A JSON bundle made without --include-files holds no document files (a restore of it leaves them alone): not a difference.
	const withoutFiles = sides.find(side => side.metadata?.omittedDocumentFiles);
	if (withoutFiles && compared.includes('documents')) warnings.push(`document files are not compared: ${withoutFiles.input.kind === 'backup' ? withoutFiles.input.source.label : ''} is a JSON bundle made without --include-files`);
	const captured = [new Map<string, CapturedEntity>(), new Map<string, CapturedEntity>()] as const;
	const store = new DiffStore();
	try {
		for (const [index, described] of sides.entries()) {
			const plan: SidePlan = {side: (index + 1) as Side, categories: new Set(compared), scopeTenant, id: options.id, captured: captured[index]!, documentFiles: !withoutFiles, warnings, signal: options.signal, onProgress: options.onProgress};
			if (described.input.kind === 'live') await readLiveSide(store, described.input.dataDir, plan);
			else await readBackupSide(store, described.input.source, described.metadata!, plan);
		}
		const limit = options.idLimit ?? DIFF_ID_LIMIT;
		const categories = compared.map(category => categoryDiff(store, category, limit));
		const totals = emptyCounts();
		for (const category of categories) addCounts(totals, category);
		const result: DiffResult = {a: sides[0].info, b: sides[1].info, categories, notCompared, scopeTenant, totals, warnings, durationMs: 0};
		if (options.id !== undefined) result.entity = entities(options.id, captured[0], captured[1]);
		result.durationMs = Date.now() - started;
		return result;
	} finally {
		store.close();
	}
}

/** The `--id` entity in every table (or `files`) where either side has it, in the schema's order. */
function entities(id: string, a: ReadonlyMap<string, CapturedEntity>, b: ReadonlyMap<string, CapturedEntity>): EntityDiff[] {
	const order = [...CATEGORIES.flatMap(category => category.tables), 'files'];
	return order.filter(table => a.has(table) || b.has(table)).map(table => entityDiff(table, id, a.get(table), b.get(table)));
}
