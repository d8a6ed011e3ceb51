/**
 * An ATLAS export (atlas-shape.ts) turned into an ordinary one-tenant Lifeboat JSON bundle of the
 * `chats` category, written into the caller's private scratch folder, so it then goes through the
 * one restore path every backup takes (verify, plan, additive/overwrite/replace, quarantine).
 *
 * Rows land in the target tenant: personas → personas; conversations → conversations (user_id the
 * importing user, agent_id the chosen agent or the tenant's first, persona_id the persona it names);
 * messages → messages. Ids are the bundle's own when they are usable as they are
 * ({@link usableId}); otherwise derived from the tenant and what identifies the item (its own id,
 * else its name or title and time, then its position among its namesakes; a message from its
 * conversation and its id or position), as a UUIDv5-style digest: importing one export twice
 * gives the same ids, so the second import finds every row identical. Times the export lacks fall
 * back as the readme's table says, never to "now", for the same reason.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {ARCHIVE_KIND, FORMAT_VERSION, MANIFEST_PATH, METADATA_PATH, type BackupManifest, type BackupMetadata, type ManifestEntry} from '../archive/archive-format.js';
import {createArchiveWriter} from '../archive/archive-writer.js';
import {LifeboatError} from '../errors.js';
import {codecFor, encodeRow} from '../rows/table-codec.js';
import {openGateway, resolveTenant, type GatewayStore, type TenantSummary} from '../store/gateway-store.js';
import {SCHEMA_VERSION, tableSpec} from '../store/schema.js';
import {TOOL_VERSION} from '../version.js';
import {isLifeboatBackup} from '../backup/backup-sniff.js';
import {looksLikeJsonObject, readAtlas, type AtlasBundle, type AtlasConversation} from './atlas-shape.js';
import {compareCodeUnits} from '../format.js';
import {writeAll} from '../write-all.js';
import {scratchFailure} from '../pid-scratch.js';

/** The time a row gets when neither it nor the export says one. */
export const ATLAS_EPOCH = '1970-01-01T00:00:00.000Z';

export type AtlasTarget = {
	dataDir: string;
	/** Tenant id, slug or name; it must exist (its users and agents are referenced). */
	tenant: string;
	/** The user the conversations belong to: id or email, of the tenant. Needed when there are conversations. */
	user?: string;
	/** The agent the conversations are with: id or name, of the tenant; default its first agent by created_at. */
	agent?: string;
};

export type AtlasConversion = {
	/** The Lifeboat JSON bundle written. */
	file: string;
	tenant: TenantSummary;
	counts: {personas: number; conversations: number; messages: number};
	notes: string[];
};

/** An id kept as the export gave it: 8 to 128 letters, digits, `.`, `_`, `:`, `-`, starting with a letter or digit, not only digits. */
export function usableId(id: string | undefined): id is string {
	return id !== undefined && /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/.test(id) && !/^[0-9]+$/.test(id);
}

/** A UUIDv5-style id (SHA-1 of the parts, version and variant bits set). */
export function derivedId(...parts: string[]): string {
	const hash = crypto.createHash('sha1').update('lifeboat-atlas\u0000' + parts.join('\u0000')).digest();
	hash[6] = (hash[6]! & 0x0f) | 0x50;
	hash[8] = (hash[8]! & 0x3f) | 0x80;
	const hex = hash.subarray(0, 16).toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Gives out ids: the item's own when usable, else derived; a repeated own id is refused. */
class IdAssigner {
	private readonly taken = new Set<string>();
	private readonly namesakes = new Map<string, number>();
	constructor(
		private readonly tenantId: string,
		private readonly what: string,
		/** Fallback keys are unique by construction (a message's position): no namesakes to count. */
		private readonly uniqueKeys = false,
	) {}

	assign(own: string | undefined, fallbackKey: string, where: string): string {
		if (own !== undefined) {
			const id = usableId(own) ? own : derivedId(this.tenantId, this.what, `id:${own}`);
			if (this.taken.has(id)) throw new LifeboatError('corrupt-archive', `${where}: the id ${JSON.stringify(own.slice(0, 80))} repeats an earlier one's: not a well-formed ATLAS export`);
			this.taken.add(id);
			return id;
		}
		const seen = this.uniqueKeys ? 0 : (this.namesakes.get(fallbackKey) ?? 0);
		if (!this.uniqueKeys) this.namesakes.set(fallbackKey, seen + 1);
		let id = derivedId(this.tenantId, this.what, fallbackKey, String(seen));
		// A derived id equal to an item's own (only by construction in a hostile export) gets a suffix.
		for (let extra = 1; this.taken.has(id); extra++) id = derivedId(this.tenantId, this.what, fallbackKey, String(seen), String(extra));
		this.taken.add(id);
		return id;
	}
}

/** Column → value; an INTEGER as a bigint (how rows are read from SQLite, so it encodes as a plain integer). */
type Row = Record<string, string | bigint | null>;
type Rows = {personas: Row[]; conversations: Row[]; messages: Row[]};
type Context = {tenant: TenantSummary; userId?: string; agentId?: string; livePersonas: Map<string, string>};

function one<T>(store: GatewayStore, sql: string, ...params: unknown[]): T | undefined {
	return store.db.prepare(sql).get(...params) as T | undefined;
}

/** The tenant, user, agent and live personas an import needs, read from the gateway. */
function resolveContext(store: GatewayStore, target: AtlasTarget, bundle: AtlasBundle): Context {
	const tenant = resolveTenant(store, target.tenant);
	const livePersonas = new Map<string, string>();
	for (const row of store.db.prepare('SELECT id, name FROM personas WHERE tenant_id = ? ORDER BY created_at DESC, id DESC').iterate(tenant.id) as Iterable<{id: string; name: string}>) {
		livePersonas.set(`id:${row.id}`, row.id);
		livePersonas.set(`name:${row.name}`, row.id);
	}
	if (bundle.conversations.length === 0) return {tenant, livePersonas};
	if (target.user === undefined) throw new LifeboatError('usage', `The export holds ${bundle.conversations.length} conversations: say whose they become (CLI --as-user, HTTP X-User-Id: a user id or email of tenant ${tenant.slug})`);
	const user = one<{id: string}>(store, 'SELECT id FROM users WHERE tenant_id = ? AND (id = ? OR email = ?) ORDER BY id = ? DESC LIMIT 1', tenant.id, target.user, target.user, target.user);
	if (!user) throw new LifeboatError('usage', `No user ${JSON.stringify(target.user)} in tenant ${tenant.slug} (a user id or email) to own the imported conversations`);
	const agent = target.agent === undefined
		? one<{id: string}>(store, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY created_at, id LIMIT 1', tenant.id)
		: one<{id: string}>(store, 'SELECT id FROM agents WHERE tenant_id = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC, created_at, id LIMIT 1', tenant.id, target.agent, target.agent, target.agent);
	if (!agent) {
		throw new LifeboatError('usage', target.agent === undefined ? `Tenant ${tenant.slug} has no agent for the imported conversations to be with: create one first` : `No agent ${JSON.stringify(target.agent)} in tenant ${tenant.slug} (an agent id or name)`);
	}
	return {tenant, userId: user.id, agentId: agent.id, livePersonas};
}

/** The export's items as rows of the tenant (see the module comment for ids and times). */
export function mapAtlasRows(bundle: AtlasBundle, context: Context, notes: string[]): Rows {
	const tenantId = context.tenant.id;
	const fallback = bundle.createdAt ?? ATLAS_EPOCH;
	const personaIds = new IdAssigner(tenantId, 'persona');
	const personaByKey = new Map<string, string>();
	const personas = bundle.personas.map((persona, index) => {
		const id = personaIds.assign(persona.key, `name:${persona.name}`, `personas[${index}]`);
		if (persona.key !== undefined && !personaByKey.has(`id:${persona.key}`)) personaByKey.set(`id:${persona.key}`, id);
		if (!personaByKey.has(`name:${persona.name}`)) personaByKey.set(`name:${persona.name}`, id);
		const createdAt = persona.createdAt ?? fallback;
		return {id, tenant_id: tenantId, created_at: createdAt, updated_at: persona.updatedAt ?? createdAt, name: persona.name, description: persona.description, system_prompt: persona.systemPrompt};
	});
	const conversationIds = new IdAssigner(tenantId, 'conversation');
	const messageIds = new IdAssigner(tenantId, 'message', true);
	const conversations: Row[] = [];
	const messages: Row[] = [];
	let unmatched = 0;
	bundle.conversations.forEach((conversation, index) => {
		const first = conversation.messages.find(message => message.createdAt !== undefined)?.createdAt;
		const last = conversation.messages.findLast(message => message.createdAt !== undefined)?.createdAt;
		const createdAt = conversation.createdAt ?? first ?? fallback;
		const id = conversationIds.assign(conversation.key, `title:${conversation.title}\u0000${createdAt}`, `conversations[${index}]`);
		const personaId = personaOf(conversation, personaByKey, context.livePersonas);
		if (conversation.persona !== undefined && personaId === null) unmatched++;
		conversations.push({id, tenant_id: tenantId, created_at: createdAt, updated_at: conversation.updatedAt ?? last ?? createdAt, user_id: context.userId!, agent_id: context.agentId!, persona_id: personaId, title: conversation.title});
		conversation.messages.forEach((message, at) => {
			const messageId = messageIds.assign(message.key === undefined ? undefined : usableId(message.key) ? message.key : `${id}\u0000${message.key}`, `${id}\u0000#${at}`, `conversations[${index}].messages[${at}]`);
			const time = message.createdAt ?? createdAt;
			messages.push({id: messageId, tenant_id: tenantId, created_at: time, updated_at: time, conversation_id: id, role: message.role, content: message.content, token_count: BigInt(message.tokenCount)});
		});
	});
	if (unmatched > 0) notes.push(`${unmatched} conversation${unmatched === 1 ? ' names a persona' : 's name personas'} neither the export nor the tenant holds: their persona is left empty`);
	return {personas, conversations, messages};
}

/** The persona a conversation names: one of the export's (by id, then name), else a live one of the tenant. */
function personaOf(conversation: AtlasConversation, exported: Map<string, string>, live: Map<string, string>): string | null {
	const wanted = conversation.persona;
	if (wanted === undefined) return null;
	return exported.get(`id:${wanted}`) ?? exported.get(`name:${wanted}`) ?? live.get(`id:${wanted}`) ?? live.get(`name:${wanted}`) ?? null;
}

/** Writes the rows as chats/*.jsonl (sorted by id, as a backup dumps them) into `dir`. */
function writeTables(rows: Rows, dir: string): Array<{archivePath: string; file: string; size: number}> {
	return (['personas', 'conversations', 'messages'] as const).map(name => {
		const spec = tableSpec(name);
		const codec = codecFor(spec);
		const file = path.join(dir, `${name}.jsonl`);
		const sorted = rows[name].sort((a, b) => compareCodeUnits(a['id'] as string, b['id'] as string));
		const fd = fs.openSync(file, 'w', 0o600);
		try {
			let batch = '';
			for (const row of sorted) {
				batch += JSON.stringify(encodeRow(codec, codec.names.map(column => row[column] ?? null))) + '\n';
				if (batch.length > 1 << 20) {
					writeAll(fd, batch);
					batch = '';
				}
			}
			writeAll(fd, batch);
		} finally {
			fs.closeSync(fd);
		}
		return {archivePath: spec.archivePath, file, size: fs.statSync(file).size};
	});
}

function bundleMetadata(name: string, tenant: TenantSummary, rows: Rows, tables: ReturnType<typeof writeTables>, notes: string[]): BackupMetadata {
	const totalBytes = tables.reduce((sum, table) => sum + table.size, 0);
	return {
		kind: ARCHIVE_KIND,
		tool: {name: 'lifeboat', version: TOOL_VERSION},
		schemaVersion: SCHEMA_VERSION,
		formatVersion: FORMAT_VERSION,
		id: crypto.randomUUID(),
		name,
		createdAt: new Date().toISOString(),
		format: 'json',
		tenant: {id: tenant.id, slug: tenant.slug, name: tenant.name},
		tenants: [{id: tenant.id, slug: tenant.slug, name: tenant.name}],
		categories: ['chats'],
		counts: {chats: {count: rows.conversations.length, tables: {personas: rows.personas.length, conversations: rows.conversations.length, messages: rows.messages.length}, files: tables.length, bytes: totalBytes}},
		totalFiles: tables.length,
		totalBytes,
		redacted: [],
		twoFactor: null,
		encrypted: false,
		warnings: notes,
		source: {hostname: 'atlas-export', dataDir: ''},
	};
}

/**
 * Converts the ATLAS export at `file` for `target` into a Lifeboat JSON bundle in `scratch` (a
 * private folder the caller owns and removes). `label` names the export in messages.
 */
export async function convertAtlasExport(file: string, label: string, target: AtlasTarget, scratch: string, maxBytes?: number): Promise<AtlasConversion> {
	const bundle = readAtlas(file, label, maxBytes);
	const store = openGateway(target.dataDir, {readonly: true});
	let context: Context;
	try {
		context = resolveContext(store, target, bundle);
	} finally {
		store.close();
	}
	const notes: string[] = [];
	const rows = mapAtlasRows(bundle, context, notes);
	const counts = {personas: rows.personas.length, conversations: rows.conversations.length, messages: rows.messages.length};
	const output = path.join(scratch, 'atlas-converted.json');
	try {
		await writeBundle(rows, scratch, output, {name: path.basename(label).replace(/\.json$/i, '') || 'atlas-export', tenant: context.tenant, notes});
	} catch (error) {
		throw scratchFailure(error, `Converting ${label}`);
	}
	return {file: output, tenant: context.tenant, counts, notes};
}

/** The converted rows as a Lifeboat JSON bundle at `output` (its tables staged in `scratch` first). */
async function writeBundle(rows: Rows, scratch: string, output: string, {name, tenant, notes}: {name: string; tenant: TenantSummary; notes: string[]}): Promise<void> {
	const tables = writeTables(rows, scratch);
	const writer = createArchiveWriter({format: 'json', output});
	try {
		const manifest: ManifestEntry[] = [];
		manifest.push(await writer.addBuffer(METADATA_PATH, Buffer.from(JSON.stringify(bundleMetadata(name, tenant, rows, tables, notes), null, 2) + '\n')));
		for (const table of tables) manifest.push(await writer.addFile(table.archivePath, table.file));
		const document: BackupManifest = {kind: ARCHIVE_KIND, files: manifest, totalFiles: manifest.length, totalBytes: tables.reduce((sum, table) => sum + table.size, 0)};
		await writer.addBuffer(MANIFEST_PATH, Buffer.from(JSON.stringify(document, null, 2) + '\n'));
		await writer.finish();
	} catch (error) {
		await writer.abort();
		throw error;
	} finally {
		for (const table of tables) fs.rmSync(table.file, {force: true});
	}
}

/** What `backup verify` says of an ATLAS export (read and checked, nothing converted). */
export function describeAtlasExport(file: string, label: string): {personas: number; conversations: number; messages: number} {
	const bundle = readAtlas(file, label);
	// Mapped for a stand-in tenant too, so a repeated id is found as an import finds it.
	mapAtlasRows(bundle, {tenant: {id: 'verify', slug: 'verify', name: 'verify'}, userId: 'verify', agentId: 'verify', livePersonas: new Map()}, []);
	return {personas: bundle.personas.length, conversations: bundle.conversations.length, messages: bundle.conversations.reduce((sum, conversation) => sum + conversation.messages.length, 0)};
}

/**
 * Whether `location` is a local file to read as an ATLAS export: not a URL, a regular file, no
 * Lifeboat backup, its first non-blank byte a `{`. (Whether it really is one, reading tells.)
 */
export function isAtlasCandidate(location: string): boolean {
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return false;
	try {
		if (!fs.statSync(location).isFile()) return false;
	} catch {
		return false;
	}
	return !isLifeboatBackup(location) && looksLikeJsonObject(location);
}
