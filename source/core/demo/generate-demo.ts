import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import {LifeboatError} from '../errors.js';
import {agentDir, documentFile, documentTextFile} from '../store/gateway-paths.js';
import {createGateway, type GatewayStore} from '../store/gateway-store.js';
import {allColumns, tableSpec} from '../store/schema.js';
import {
	AGENT_NAMES,
	agentMarkdown,
	MODELS,
	noisePng,
	paragraph,
	personName,
	samplePdf,
	sentence,
	slugify,
	TENANT_NAMES,
	TOOL_NAMES,
} from './demo-content.js';
import {Random} from './random.js';
import {writeAll} from '../write-all.js';

export type DemoScale = 'small' | 'medium' | 'large';

export type DemoOptions = {
	dir: string;
	tenants?: number;
	scale?: DemoScale;
	seed?: number;
	/** Extra incompressible document bytes to add (for benchmarks), spread over files of ~8 MiB. */
	extraDocumentBytes?: number;
	/** Extra log-like text document bytes (compressible, for benchmarks), files of ~8 MiB. */
	extraTextBytes?: number;
	onProgress?: (message: string) => void;
};

export type DemoSummary = {dir: string; tenants: number; rows: number; files: number; bytes: number};

/** Rows per tenant for each scale. */
const SCALES: Record<DemoScale, {users: number; agents: number; conversations: number; messages: number; workflows: number; memory: number; days: number; documents: number; audit: number; pngSide: number}> = {
	small: {users: 8, agents: 4, conversations: 30, messages: 8, workflows: 6, memory: 600, days: 14, documents: 12, audit: 300, pngSide: 160},
	medium: {users: 25, agents: 8, conversations: 150, messages: 12, workflows: 15, memory: 3000, days: 45, documents: 40, audit: 2000, pngSide: 320},
	large: {users: 60, agents: 10, conversations: 600, messages: 16, workflows: 40, memory: 15_000, days: 120, documents: 120, audit: 10_000, pngSide: 512},
};

const BASE_TIME = Date.UTC(2026, 0, 5, 9, 0, 0);

/** Builds a realistic, deterministic gateway in `dir` (which must not already be a gateway). */
export async function generateDemo(options: DemoOptions): Promise<DemoSummary> {
	const scale = SCALES[options.scale ?? 'small'];
	const tenantCount = options.tenants ?? (options.scale === 'large' ? 8 : options.scale === 'medium' ? 5 : 3);
	if (!Number.isInteger(tenantCount) || tenantCount < 1 || tenantCount > 500) {
		throw new LifeboatError('usage', `--tenants must be a whole number from 1 to 500 (got ${options.tenants})`);
	}
	if (fs.existsSync(path.join(options.dir, 'data', 'gateway.db'))) {
		throw new LifeboatError('exists', `${options.dir} already holds a gateway; choose another --dir or remove it first`);
	}
	const random = new Random(options.seed ?? 42);
	const store = createGateway(options.dir);
	const summary: DemoSummary = {dir: store.paths.root, tenants: tenantCount, rows: 0, files: 0, bytes: 0};
	try {
		const insert = makeInserter(store.db);
		const id = (prefix: string) => `${prefix}_${random.hex(8)}`;
		const time = (maxDays = 300) => new Date(BASE_TIME + random.int(0, maxDays * 86_400) * 1000).toISOString();
		const writeFile = (file: string, content: Buffer | string) => {
			fs.mkdirSync(path.dirname(file), {recursive: true});
			fs.writeFileSync(file, content);
			summary.files++;
			summary.bytes += Buffer.byteLength(content);
		};

		for (let tenantIndex = 0; tenantIndex < tenantCount; tenantIndex++) {
			const baseName = TENANT_NAMES[tenantIndex % TENANT_NAMES.length]!;
			const name = tenantIndex < TENANT_NAMES.length ? baseName : `${baseName} ${Math.floor(tenantIndex / TENANT_NAMES.length) + 1}`;
			const tenantId = id('ten');
			options.onProgress?.(`tenant ${tenantIndex + 1}/${tenantCount}: ${name}`);
			const stamp = () => {
				const created = time();
				return {tenant_id: tenantId, created_at: created, updated_at: created};
			};
			const demo: TenantDemo = {store, insert, random, scale, name, id, time, stamp, writeFile};
			store.db.transaction(() => {
				insert('tenants', {id: tenantId, ...stamp(), name, slug: slugify(name), plan: random.pick(['free', 'pro', 'enterprise'])});
				const users = demoUsers(demo);
				const agents = demoAgents(demo);
				const personas = demoPersonas(demo);
				demoConversations(demo, users, agents, personas);
				demoWorkflows(demo, users);
				demoMemory(demo, agents);
				demoToolsAndCron(demo, agents);
				demoIntegrations(demo, agents);
				demoCollaboration(demo, users, agents);
				demoDocuments(demo, users);
			})();
		}

		if (options.extraDocumentBytes && options.extraDocumentBytes > 0) {
			summary.bytes += await addBulkDocuments(store, random, options.extraDocumentBytes, 'binary', insert, options.onProgress);
		}
		if (options.extraTextBytes && options.extraTextBytes > 0) {
			summary.bytes += await addBulkDocuments(store, random, options.extraTextBytes, 'text', insert, options.onProgress);
		}

		writeGatewayFiles(store, random, writeFile);
		summary.rows = insert.count();
		store.db.pragma('wal_checkpoint(TRUNCATE)');
		return summary;
	} finally {
		store.close();
	}
}

/** What the steps that fill one tenant share: the inserter, the seeded random source, the tenant's stamp. */
type TenantDemo = {
	store: GatewayStore;
	insert: Inserter;
	random: Random;
	scale: (typeof SCALES)[DemoScale];
	/** The tenant's name. */
	name: string;
	id: (prefix: string) => string;
	time: (maxDays?: number) => string;
	stamp: () => {tenant_id: string; created_at: string; updated_at: string};
	writeFile: (file: string, content: Buffer | string) => void;
};

/** Users: the first one owns the tenant; most have logged in, some have 2FA. */
function demoUsers(demo: TenantDemo): string[] {
	const {insert, random, id, time, stamp, scale, name} = demo;
	const users: string[] = [];
	for (let i = 0; i < scale.users; i++) {
		const userId = id('usr');
		users.push(userId);
		const person = personName(random);
		insert('users', {
			id: userId,
			...stamp(),
			email: `${slugify(person)}.${i}@${slugify(name)}.example`,
			display_name: person,
			password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${random.hex(16)}$${random.hex(32)}`,
			role: i === 0 ? 'owner' : random.pick(['admin', 'member', 'member', 'viewer']),
			totp_secret: random.chance(0.6) ? `TOTP${random.hex(10).toUpperCase()}` : null,
			last_login_at: random.chance(0.8) ? time() : null,
		});
	}
	return users;
}

/** Agents, each with its folder of markdown and config.json. */
function demoAgents(demo: TenantDemo): string[] {
	const {insert, random, id, stamp, scale, name, store, writeFile} = demo;
	const agents: string[] = [];
	for (let i = 0; i < scale.agents; i++) {
		const agentId = id('agt');
		agents.push(agentId);
		const tools = TOOL_NAMES.filter(() => random.chance(0.4));
		const agentName = AGENT_NAMES[i % AGENT_NAMES.length]!;
		insert('agents', {
			id: agentId,
			...stamp(),
			name: agentName,
			model: random.pick(MODELS),
			description: sentence(random),
			tool_allowlist: JSON.stringify(tools),
			status: random.pick(['active', 'active', 'paused']),
		});
		const dir = agentDir(store.paths, agentId);
		for (const [file, content] of Object.entries(agentMarkdown(random, agentName, tools))) writeFile(path.join(dir, file), content);
		writeFile(path.join(dir, 'config.json'), JSON.stringify({name: agentName, temperature: random.int(0, 10) / 10, maxTurns: random.int(5, 50), tools}, null, 2) + '\n');
	}
	return agents;
}

/** Personas. */
function demoPersonas(demo: TenantDemo): string[] {
	const {insert, random, id, stamp, name} = demo;
	const personas: string[] = [];
	for (let i = 0; i < 3; i++) {
		const personaId = id('per');
		personas.push(personaId);
		insert('personas', {id: personaId, ...stamp(), name: random.pick(['Analyst', 'Coach', 'Editor', 'Operator', 'Researcher']), description: sentence(random), system_prompt: paragraph(random, 3)});
	}
	return personas;
}

/** Conversations and their messages. */
function demoConversations(demo: TenantDemo, users: string[], agents: string[], personas: string[]): void {
	const {insert, random, id, stamp, scale} = demo;
	for (let i = 0; i < scale.conversations; i++) {
		const conversationId = id('cnv');
		insert('conversations', {id: conversationId, ...stamp(), user_id: random.pick(users), agent_id: random.pick(agents), persona_id: random.chance(0.5) ? random.pick(personas) : null, title: sentence(random, 3, 7)});
		const messages = random.int(2, scale.messages * 2);
		for (let m = 0; m < messages; m++) {
			insert('messages', {id: id('msg'), ...stamp(), conversation_id: conversationId, role: m % 2 === 0 ? 'user' : 'assistant', content: paragraph(random, random.int(1, 4)), token_count: random.int(20, 900)});
		}
	}
}

/** Workflows and their versions. */
function demoWorkflows(demo: TenantDemo, users: string[]): void {
	const {insert, random, id, stamp, scale, name} = demo;
	for (let i = 0; i < scale.workflows; i++) {
		const workflowId = id('wfl');
		const versions = random.int(1, 5);
		const definition = (v: number) => JSON.stringify({steps: Array.from({length: random.int(2, 6)}, (_, s) => ({id: `step-${s + 1}`, tool: random.pick(TOOL_NAMES), note: sentence(random, 3, 6)})), version: v});
		insert('workflows', {id: workflowId, ...stamp(), name: `${random.pick(['Daily', 'Weekly', 'Escalate', 'Triage', 'Summarize', 'Sync'])} ${random.pick(['tickets', 'invoices', 'reports', 'leads', 'alerts'])}`, description: sentence(random), current_version: versions, definition: definition(versions), enabled: random.chance(0.8) ? 1 : 0});
		for (let v = 1; v <= versions; v++) {
			insert('workflow_versions', {id: id('wfv'), ...stamp(), workflow_id: workflowId, version: v, definition: definition(v), author_id: random.pick(users), note: sentence(random, 3, 8)});
		}
	}
}

/** Memory entries and daily logs. */
function demoMemory(demo: TenantDemo, agents: string[]): void {
	const {insert, random, id, stamp, scale} = demo;
	for (let i = 0; i < scale.memory; i++) {
		insert('memory_entries', {id: id('mem'), ...stamp(), agent_id: random.pick(agents), kind: random.pick(['fact', 'preference', 'episode', 'summary']), content: sentence(random, 8, 30), importance: random.int(0, 100) / 100, tags: JSON.stringify([random.pick(['customer', 'ops', 'finance', 'eng'])])});
	}
	for (let day = 0; day < scale.days; day++) {
		const date = new Date(BASE_TIME + day * 86_400_000).toISOString().slice(0, 10);
		for (const agentId of agents) {
			if (!random.chance(0.7)) continue;
			insert('memory_daily_logs', {id: id('dlg'), ...stamp(), agent_id: agentId, day: date, content: paragraph(random, random.int(2, 6))});
		}
	}
}

/** Tools, cron jobs and their runs. */
function demoToolsAndCron(demo: TenantDemo, agents: string[]): void {
	const {insert, random, id, time, stamp, name} = demo;
	for (let i = 0; i < 8; i++) {
		insert('tools', {id: id('tol'), ...stamp(), name: TOOL_NAMES[i % TOOL_NAMES.length]!, description: sentence(random), kind: random.pick(['builtin', 'http', 'mcp']), input_schema: JSON.stringify({type: 'object', properties: {query: {type: 'string'}}})});
	}

	for (let i = 0; i < 5; i++) {
		const jobId = id('crn');
		insert('cron_jobs', {id: jobId, ...stamp(), name: random.pick(['nightly-digest', 'sync-crm', 'cleanup', 'weekly-report', 'heartbeat']), schedule: random.pick(['0 3 * * *', '*/15 * * * *', '0 9 * * 1', '30 2 * * *']), action: random.pick(['agent', 'workflow', 'custom']), command: sentence(random, 3, 6), agent_id: random.pick(agents), enabled: 1});
		for (let r = 0; r < 20; r++) {
			const started = time();
			insert('cron_runs', {id: id('run'), ...stamp(), job_id: jobId, started_at: started, finished_at: started, status: random.pick(['ok', 'ok', 'ok', 'failed']), output: sentence(random)});
		}
	}
}

/** Webhooks, connections, channels, node pairings and skills (the tables holding secrets). */
function demoIntegrations(demo: TenantDemo, agents: string[]): void {
	const {insert, random, id, time, stamp, name} = demo;
	for (let i = 0; i < 3; i++) {
		insert('webhooks', {id: id('whk'), ...stamp(), name: `${random.pick(['github', 'stripe', 'zendesk', 'linear'])}-${i}`, url: `https://hooks.${slugify(name)}.example/in/${random.hex(6)}`, events: JSON.stringify(['message.created', 'task.updated']), secret: `whsec_${random.hex(24)}`, enabled: 1});
		insert('connections', {id: id('con'), ...stamp(), provider: random.pick(['google', 'github', 'slack', 'notion', 'salesforce']), name: `${name} ${i}`, account: `ops${i}@${slugify(name)}.example`, scopes: JSON.stringify(['read', 'write']), auth_token: `ya29.${random.hex(30)}`, refresh_token: `1//rt_${random.hex(24)}`, expires_at: time()});
	}
	for (let i = 0; i < 2; i++) {
		insert('channels', {id: id('chn'), ...stamp(), kind: random.pick(['slack', 'telegram', 'discord', 'email']), name: `#${random.pick(['support', 'ops', 'sales'])}-${i}`, settings: JSON.stringify({mentionsOnly: random.chance(0.5)}), bot_token: `xoxb-${random.hex(20)}`, signing_secret: `sgn_${random.hex(16)}`});
		insert('node_pairings', {id: id('nod'), ...stamp(), node_name: `${slugify(name)}-node-${i}`, platform: random.pick(['linux-x64', 'darwin-arm64', 'windows-x64']), paired_at: time(), last_seen_at: time(), public_key: `ed25519:${random.hex(32)}`, pairing_secret: `pair_${random.hex(24)}`});
	}
	for (let i = 0; i < 5; i++) {
		insert('skills', {id: id('skl'), ...stamp(), name: random.pick(['pdf-reader', 'browser', 'calculator', 'translator', 'crm-sync', 'code-runner']), version: `${random.int(1, 3)}.${random.int(0, 9)}.${random.int(0, 20)}`, source: 'registry', enabled_agents: JSON.stringify(agents.filter(() => random.chance(0.5)))});
	}
}

/** Discussions, insights, tasks, approvals and the audit log. */
function demoCollaboration(demo: TenantDemo, users: string[], agents: string[]): void {
	const {insert, random, id, time, stamp, scale} = demo;
	const discussions: string[] = [];
	for (let i = 0; i < 4; i++) {
		const discussionId = id('dsc');
		discussions.push(discussionId);
		insert('discussions', {id: discussionId, ...stamp(), title: sentence(random, 3, 7), agent_ids: JSON.stringify(agents.slice(0, 2)), summary: paragraph(random, 2)});
	}
	for (let i = 0; i < 8; i++) insert('insights', {id: id('ins'), ...stamp(), discussion_id: random.pick(discussions), content: sentence(random), score: random.int(0, 100) / 100});
	const tasks: string[] = [];
	for (let i = 0; i < 10; i++) {
		const taskId = id('tsk');
		tasks.push(taskId);
		insert('tasks', {id: taskId, ...stamp(), title: sentence(random, 3, 8), status: random.pick(['open', 'in_progress', 'done']), assignee_agent_id: random.pick(agents), discussion_id: random.chance(0.5) ? random.pick(discussions) : null, due_at: time()});
	}
	for (let i = 0; i < 5; i++) {
		insert('approvals', {id: id('apr'), ...stamp(), task_id: random.pick(tasks), requested_by: random.pick(agents), status: random.pick(['pending', 'approved', 'rejected']), decided_by: random.pick(users), decided_at: time(), reason: sentence(random)});
	}
	for (let i = 0; i < scale.audit; i++) {
		insert('audit_log', {id: id('aud'), ...stamp(), actor: random.pick(users), action: random.pick(['login', 'agent.update', 'workflow.run', 'document.upload', 'webhook.create', 'user.invite']), target: id('obj'), detail: JSON.stringify({ok: random.chance(0.95)}), ip: `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`});
	}
}

/** Documents (PNG, PDF, markdown) with their files and extracted text. */
function demoDocuments(demo: TenantDemo, users: string[]): void {
	const {insert, random, id, stamp, scale, name, store, writeFile} = demo;
	for (let i = 0; i < scale.documents; i++) {
		const documentId = id('doc');
		const kind = i % 3;
		const title = sentence(random, 2, 5).replace(/\.$/, '');
		let bytes: Buffer;
		let ext: string;
		let mime: string;
		let text: string;
		if (kind === 0) {
			bytes = noisePng(random, scale.pngSide, Math.round(scale.pngSide * 0.75));
			ext = 'png';
			mime = 'image/png';
			text = `[image] ${title}`;
		} else if (kind === 1) {
			text = paragraph(random, 12);
			bytes = samplePdf(random, title, text, scale.pngSide * 200);
			ext = 'pdf';
			mime = 'application/pdf';
		} else {
			text = `# ${title}\n\n${paragraph(random, 20)}\n\n${paragraph(random, 20)}\n`;
			bytes = Buffer.from(text);
			ext = 'md';
			mime = 'text/markdown';
		}
		writeFile(documentFile(store.paths, documentId, ext), bytes);
		writeFile(documentTextFile(store.paths, documentId), text);
		insert('documents', {id: documentId, ...stamp(), name: `${slugify(title)}.${ext}`, mime, ext, size: bytes.length, sha256: sha256(bytes), uploaded_by: random.pick(users), text_chars: text.length, fts_hint: 'rebuild'});
	}
}

/** Large documents for benchmarks, written chunk by chunk (never whole in memory). */
async function addBulkDocuments(store: GatewayStore, random: Random, total: number, kind: 'binary' | 'text', insert: Inserter, onProgress?: (message: string) => void): Promise<number> {
	const tenant = store.db.prepare(`SELECT id FROM tenants ORDER BY id LIMIT 1`).get() as {id: string};
	const fileSize = 8 * 1024 * 1024;
	const chunk = Buffer.alloc(1024 * 1024);
	const ext = kind === 'binary' ? 'bin' : 'log';
	const fillText = (buffer: Buffer) => {
		let offset = 0;
		while (offset < buffer.length) {
			const line = `${new Date(BASE_TIME + random.int(0, 1e9)).toISOString()} INFO ${sentence(random, 6, 14)}\n`;
			offset += buffer.write(line, offset);
		}
		return buffer;
	};
	let written = 0;
	for (let index = 0; written < total; index++) {
		const size = Math.min(fileSize, total - written);
		const documentId = `doc_bulk${kind[0]}${String(index).padStart(5, '0')}`;
		const file = documentFile(store.paths, documentId, ext);
		const hash = crypto.createHash('sha256');
		const fd = fs.openSync(file, 'w');
		try {
			for (let done = 0; done < size; done += chunk.length) {
				const filled = kind === 'binary' ? random.fill(chunk) : fillText(chunk);
				const part = filled.subarray(0, Math.min(chunk.length, size - done));
				hash.update(part);
				writeAll(fd, part);
			}
		} finally {
			fs.closeSync(fd);
		}
		fs.writeFileSync(documentTextFile(store.paths, documentId), `[${kind}] bulk ${index}`);
		const created = new Date(BASE_TIME).toISOString();
		insert('documents', {id: documentId, tenant_id: tenant.id, created_at: created, updated_at: created, name: `bulk-${index}.${ext}`, mime: kind === 'binary' ? 'application/octet-stream' : 'text/plain', ext, size, sha256: hash.digest('hex'), uploaded_by: null, text_chars: 0, fts_hint: 'none'});
		written += size;
		if (index % 16 === 0) onProgress?.(`bulk ${kind} documents: ${Math.round(written / 1048576)} MiB`);
	}
	return written;
}

function writeGatewayFiles(store: GatewayStore, random: Random, writeFile: (file: string, content: string) => void): void {
	const root = store.paths.root;
	const appsettings = {
		Gateway: {Name: 'demo-gateway', Url: 'https://gateway.example', Port: 8443, Tier: 'enterprise'},
		Jwt: {Issuer: 'gateway', SigningKey: `jwt_${random.hex(32)}`, LifetimeMinutes: 60},
		Smtp: {Host: 'smtp.example', Port: 587, User: 'mailer', Password: `smtp_${random.hex(12)}`},
		Providers: {OpenAI: {ApiKey: `sk-${random.hex(24)}`, Model: 'gpt-4.1'}, Anthropic: {ApiKey: `sk-ant-${random.hex(24)}`}},
		Storage: {ConnectionString: `DefaultEndpointsProtocol=https;AccountKey=${random.hex(32)}`},
		Backups: {Default: {Destination: 'local', Lifecycle: {KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12}}},
		Logging: {Level: 'Information'},
	};
	writeFile(path.join(root, 'appsettings.json'), JSON.stringify(appsettings, null, 2) + '\n');
	writeFile(path.join(root, 'appsettings.Production.json'), JSON.stringify({Logging: {Level: 'Warning'}, Gateway: {Url: 'https://gw.prod.example'}}, null, 2) + '\n');
	writeFile(
		path.join(root, 'mcp.json'),
		JSON.stringify({mcpServers: {github: {command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: {GITHUB_TOKEN: `ghp_${random.hex(18)}`}}, filesystem: {command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv/shared']}}}, null, 2) + '\n',
	);
	writeFile(path.join(root, 'mcp-server.json'), JSON.stringify({enabled: true, port: 8765, authToken: `mcp_${random.hex(20)}`, exposeTools: ['search', 'memory']}, null, 2) + '\n');
	writeFile(path.join(root, 'license.key'), `LIFEBOAT-DEMO-LICENSE\nholder=Demo Gateway\nkey=${random.hex(20)}\n`);
}

function sha256(bytes: Buffer): string {
	return crypto.createHash('sha256').update(bytes).digest('hex');
}

type Inserter = ((table: string, row: Record<string, unknown>) => void) & {count(): number};

/** Prepared INSERTs per table, checked against the schema so the demo cannot drift from it. */
function makeInserter(db: Database.Database): Inserter {
	const statements = new Map<string, Database.Statement>();
	let rows = 0;
	const insert = (table: string, row: Record<string, unknown>) => {
		let statement = statements.get(table);
		const columns = allColumns(tableSpec(table)).map(column => column.name);
		if (!statement) {
			statement = db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(c => '@' + c).join(', ')})`);
			statements.set(table, statement);
		}
		for (const column of columns) if (!(column in row)) throw new Error(`demo row for ${table} misses ${column}`);
		statement.run(row);
		rows++;
	};
	return Object.assign(insert, {count: () => rows});
}

