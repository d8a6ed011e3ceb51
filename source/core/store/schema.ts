/**
 * The schema of a gateway data directory, in one place.
 *
 * Everything that reads or writes gateway data (backup, restore, redaction, the demo generator,
 * the TUI's counts) is driven by these declarations, so a new table or a new secret column is a
 * one-line change here and every consumer picks it up.
 */

export const SCHEMA_VERSION = 1;

/** Schema versions this build of Lifeboat can read from an archive. */
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [1];

export type ColumnType = 'TEXT' | 'INTEGER' | 'REAL';

/**
 * How a secret column leaves the gateway:
 * - `redact`: replaced by REDACTED_MARKER; the operator re-enters it after restore.
 * - `encrypt`: moved out of the plain rows into an encrypted block (2FA secrets).
 */
export type SecretHandling = 'redact' | 'encrypt';

export type ColumnSpec = {
	readonly name: string;
	readonly type: ColumnType;
	readonly nullable?: boolean;
	readonly secret?: SecretHandling;
	/** Id of a row in another table; remapped together with it on --into-tenant. */
	readonly ref?: string;
	/** A JSON array of ids of rows in another table; remapped like `ref`, element by element. */
	readonly refList?: string;
	/**
	 * Free text or JSON where operators paste URLs, headers and commands: credentials inside it
	 * (passwords in URLs, bearer tokens, token parameters, secret JSON keys) are redacted in backups.
	 */
	readonly scrub?: boolean;
};

export type TableSpec = {
	readonly name: string;
	readonly category: CategoryId;
	/** Path of the JSONL file holding this table's rows inside an archive. */
	readonly archivePath: string;
	/** Columns besides the common ones (id, tenant_id, created_at, updated_at). */
	readonly columns: readonly ColumnSpec[];
	/** Human label for counts ("entries", "files"…). */
	readonly unit: string;
	/** Order column for deterministic dumps. */
	readonly orderBy?: string;
};

export type CategoryId =
	| 'users'
	| 'agents'
	| 'chats'
	| 'workflows'
	| 'memory'
	| 'documents'
	| 'tools'
	| 'cron'
	| 'webhooks'
	| 'connections'
	| 'channels'
	| 'skills'
	| 'mcp'
	| 'nodes'
	| 'collaboration'
	| 'audit'
	| 'license'
	| 'config';

export type CategorySpec = {
	readonly id: CategoryId;
	readonly label: string;
	readonly description: string;
	/** `tenant` data is scoped by tenant_id; `gateway` data belongs to the whole gateway. */
	readonly scope: 'tenant' | 'gateway';
	/** Tables in dependency order (parents first). */
	readonly tables: readonly string[];
	/** Loose files of the data dir that belong to this category, relative to the data dir. */
	readonly files?: readonly GatewayFileSpec[];
	/** The table whose row count is the headline number for this category. */
	readonly primaryTable?: string;
};

/** A gateway-level file (config, MCP, license) and where it goes in an archive. */
export type GatewayFileSpec = {
	readonly path: string;
	readonly archivePath: string;
	/** JSON files get their secret-looking keys redacted; opaque files are copied verbatim. */
	readonly kind: 'json' | 'opaque';
	readonly optional?: boolean;
};

export const COMMON_COLUMNS: readonly ColumnSpec[] = [
	{name: 'id', type: 'TEXT'},
	{name: 'tenant_id', type: 'TEXT'},
	{name: 'created_at', type: 'TEXT'},
	{name: 'updated_at', type: 'TEXT'},
];

/** Marker written in place of every redacted secret. */
export const REDACTED_MARKER = '[REDACTED: re-enter on restore]';

// Which JSON keys hold secrets (in config files and JSON columns) is ruled in ../secret-names.ts.

/**
 * Column names that look secret. A test checks that every column matching this is marked
 * `secret`, so a new secret column cannot slip into backups unmarked.
 */
export const SECRET_LOOKING_COLUMN = /(secret|token$|password(?!_hash)|api_?key|private_?key|credential)/i;

const t = (spec: TableSpec): TableSpec => spec;

export const TABLES: readonly TableSpec[] = [
	t({
		name: 'tenants',
		category: 'users',
		archivePath: 'users/tenants.jsonl',
		unit: 'tenants',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'slug', type: 'TEXT'},
			{name: 'plan', type: 'TEXT'},
		],
	}),
	t({
		name: 'users',
		category: 'users',
		archivePath: 'users/users.jsonl',
		unit: 'users',
		columns: [
			{name: 'email', type: 'TEXT'},
			{name: 'display_name', type: 'TEXT'},
			{name: 'password_hash', type: 'TEXT'},
			{name: 'role', type: 'TEXT'},
			{name: 'totp_secret', type: 'TEXT', nullable: true, secret: 'encrypt'},
			{name: 'last_login_at', type: 'TEXT', nullable: true},
		],
	}),
	t({
		name: 'agents',
		category: 'agents',
		archivePath: 'agents/agents.jsonl',
		unit: 'agents',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'model', type: 'TEXT'},
			{name: 'description', type: 'TEXT', scrub: true},
			{name: 'tool_allowlist', type: 'TEXT'},
			{name: 'status', type: 'TEXT'},
		],
	}),
	t({
		name: 'personas',
		category: 'chats',
		archivePath: 'chats/personas.jsonl',
		unit: 'personas',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'description', type: 'TEXT', scrub: true},
			{name: 'system_prompt', type: 'TEXT', scrub: true},
		],
	}),
	t({
		name: 'conversations',
		category: 'chats',
		archivePath: 'chats/conversations.jsonl',
		unit: 'conversations',
		columns: [
			{name: 'user_id', type: 'TEXT', ref: 'users'},
			{name: 'agent_id', type: 'TEXT', ref: 'agents'},
			{name: 'persona_id', type: 'TEXT', nullable: true, ref: 'personas'},
			{name: 'title', type: 'TEXT'},
		],
	}),
	t({
		name: 'messages',
		category: 'chats',
		archivePath: 'chats/messages.jsonl',
		unit: 'messages',
		columns: [
			{name: 'conversation_id', type: 'TEXT', ref: 'conversations'},
			{name: 'role', type: 'TEXT'},
			{name: 'content', type: 'TEXT'},
			{name: 'token_count', type: 'INTEGER'},
		],
	}),
	t({
		name: 'workflows',
		category: 'workflows',
		archivePath: 'workflows/workflows.jsonl',
		unit: 'workflows',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'description', type: 'TEXT', scrub: true},
			{name: 'current_version', type: 'INTEGER'},
			{name: 'definition', type: 'TEXT', scrub: true},
			{name: 'enabled', type: 'INTEGER'},
		],
	}),
	t({
		name: 'workflow_versions',
		category: 'workflows',
		archivePath: 'workflows/versions.jsonl',
		unit: 'versions',
		columns: [
			{name: 'workflow_id', type: 'TEXT', ref: 'workflows'},
			{name: 'version', type: 'INTEGER'},
			{name: 'definition', type: 'TEXT', scrub: true},
			{name: 'author_id', type: 'TEXT', nullable: true, ref: 'users'},
			{name: 'note', type: 'TEXT', scrub: true},
		],
	}),
	t({
		name: 'memory_entries',
		category: 'memory',
		archivePath: 'memory/entries.jsonl',
		unit: 'entries',
		columns: [
			{name: 'agent_id', type: 'TEXT', ref: 'agents'},
			{name: 'kind', type: 'TEXT'},
			{name: 'content', type: 'TEXT'},
			{name: 'importance', type: 'REAL'},
			{name: 'tags', type: 'TEXT'},
		],
	}),
	t({
		name: 'memory_daily_logs',
		category: 'memory',
		// One JSONL per day is written under memory/daily-logs/; this path is the index of days.
		archivePath: 'memory/daily-logs.jsonl',
		unit: 'daily logs',
		orderBy: 'day, id',
		columns: [
			{name: 'agent_id', type: 'TEXT', ref: 'agents'},
			{name: 'day', type: 'TEXT'},
			{name: 'content', type: 'TEXT'},
		],
	}),
	t({
		name: 'documents',
		category: 'documents',
		archivePath: 'documents/index.jsonl',
		unit: 'files',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'mime', type: 'TEXT'},
			{name: 'ext', type: 'TEXT'},
			{name: 'size', type: 'INTEGER'},
			{name: 'sha256', type: 'TEXT'},
			{name: 'uploaded_by', type: 'TEXT', nullable: true, ref: 'users'},
			{name: 'text_chars', type: 'INTEGER'},
			{name: 'fts_hint', type: 'TEXT'},
		],
	}),
	t({
		name: 'tools',
		category: 'tools',
		archivePath: 'tools/tools.jsonl',
		unit: 'tools',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'description', type: 'TEXT', scrub: true},
			{name: 'kind', type: 'TEXT'},
			{name: 'input_schema', type: 'TEXT', scrub: true},
		],
	}),
	t({
		name: 'cron_jobs',
		category: 'cron',
		archivePath: 'cron/jobs.jsonl',
		unit: 'jobs',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'schedule', type: 'TEXT'},
			{name: 'action', type: 'TEXT'},
			{name: 'command', type: 'TEXT', scrub: true},
			{name: 'agent_id', type: 'TEXT', nullable: true, ref: 'agents'},
			{name: 'enabled', type: 'INTEGER'},
		],
	}),
	t({
		name: 'cron_runs',
		category: 'cron',
		archivePath: 'cron/runs.jsonl',
		unit: 'runs',
		columns: [
			{name: 'job_id', type: 'TEXT', ref: 'cron_jobs'},
			{name: 'started_at', type: 'TEXT'},
			{name: 'finished_at', type: 'TEXT', nullable: true},
			{name: 'status', type: 'TEXT'},
			{name: 'output', type: 'TEXT', scrub: true},
		],
	}),
	t({
		name: 'webhooks',
		category: 'webhooks',
		archivePath: 'webhooks/webhooks.jsonl',
		unit: 'webhooks',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'url', type: 'TEXT', scrub: true},
			{name: 'events', type: 'TEXT'},
			{name: 'secret', type: 'TEXT', secret: 'redact'},
			{name: 'enabled', type: 'INTEGER'},
		],
	}),
	t({
		name: 'connections',
		category: 'connections',
		archivePath: 'connections/connections.jsonl',
		unit: 'connections',
		columns: [
			{name: 'provider', type: 'TEXT'},
			{name: 'name', type: 'TEXT'},
			{name: 'account', type: 'TEXT', scrub: true},
			{name: 'scopes', type: 'TEXT'},
			{name: 'auth_token', type: 'TEXT', secret: 'redact'},
			{name: 'refresh_token', type: 'TEXT', nullable: true, secret: 'redact'},
			{name: 'expires_at', type: 'TEXT', nullable: true},
		],
	}),
	t({
		name: 'channels',
		category: 'channels',
		archivePath: 'channels/channels.jsonl',
		unit: 'channels',
		columns: [
			{name: 'kind', type: 'TEXT'},
			{name: 'name', type: 'TEXT'},
			{name: 'settings', type: 'TEXT', scrub: true},
			{name: 'bot_token', type: 'TEXT', secret: 'redact'},
			{name: 'signing_secret', type: 'TEXT', nullable: true, secret: 'redact'},
		],
	}),
	t({
		name: 'skills',
		category: 'skills',
		archivePath: 'skills/installed.jsonl',
		unit: 'skills',
		columns: [
			{name: 'name', type: 'TEXT'},
			{name: 'version', type: 'TEXT'},
			{name: 'source', type: 'TEXT', scrub: true},
			{name: 'enabled_agents', type: 'TEXT', refList: 'agents'},
		],
	}),
	t({
		name: 'node_pairings',
		category: 'nodes',
		archivePath: 'nodes/pairings.jsonl',
		unit: 'pairings',
		columns: [
			{name: 'node_name', type: 'TEXT'},
			{name: 'platform', type: 'TEXT'},
			{name: 'paired_at', type: 'TEXT'},
			{name: 'last_seen_at', type: 'TEXT', nullable: true},
			{name: 'public_key', type: 'TEXT'},
			{name: 'pairing_secret', type: 'TEXT', secret: 'redact'},
		],
	}),
	t({
		name: 'discussions',
		category: 'collaboration',
		archivePath: 'collaboration/discussions.jsonl',
		unit: 'discussions',
		columns: [
			{name: 'title', type: 'TEXT'},
			{name: 'agent_ids', type: 'TEXT', refList: 'agents'},
			{name: 'summary', type: 'TEXT'},
		],
	}),
	t({
		name: 'insights',
		category: 'collaboration',
		archivePath: 'collaboration/insights.jsonl',
		unit: 'insights',
		columns: [
			{name: 'discussion_id', type: 'TEXT', nullable: true, ref: 'discussions'},
			{name: 'content', type: 'TEXT'},
			{name: 'score', type: 'REAL'},
		],
	}),
	t({
		name: 'tasks',
		category: 'collaboration',
		archivePath: 'collaboration/tasks.jsonl',
		unit: 'tasks',
		columns: [
			{name: 'title', type: 'TEXT'},
			{name: 'status', type: 'TEXT'},
			{name: 'assignee_agent_id', type: 'TEXT', nullable: true, ref: 'agents'},
			{name: 'discussion_id', type: 'TEXT', nullable: true, ref: 'discussions'},
			{name: 'due_at', type: 'TEXT', nullable: true},
		],
	}),
	t({
		name: 'approvals',
		category: 'collaboration',
		archivePath: 'collaboration/approvals.jsonl',
		unit: 'approvals',
		columns: [
			{name: 'task_id', type: 'TEXT', ref: 'tasks'},
			{name: 'requested_by', type: 'TEXT', nullable: true, ref: 'agents'},
			{name: 'status', type: 'TEXT'},
			{name: 'decided_by', type: 'TEXT', nullable: true, ref: 'users'},
			{name: 'decided_at', type: 'TEXT', nullable: true},
			{name: 'reason', type: 'TEXT'},
		],
	}),
	t({
		name: 'audit_log',
		category: 'audit',
		archivePath: 'audit/entries.jsonl',
		unit: 'entries',
		columns: [
			{name: 'actor', type: 'TEXT'},
			{name: 'action', type: 'TEXT'},
			{name: 'target', type: 'TEXT'},
			{name: 'detail', type: 'TEXT', scrub: true},
			{name: 'ip', type: 'TEXT', nullable: true},
		],
	}),
];

export const CATEGORIES: readonly CategorySpec[] = [
	{id: 'users', label: 'Users', description: 'tenants, users, roles, password hashes, 2FA (encrypted)', scope: 'tenant', tables: ['tenants', 'users'], primaryTable: 'users'},
	{id: 'agents', label: 'Agents', description: 'agents, SOUL/BOOT/HEARTBEAT/TOOLS/AGENTS.md, tool allowlists', scope: 'tenant', tables: ['agents'], primaryTable: 'agents'},
	{id: 'chats', label: 'Chats', description: 'personas, conversations, messages', scope: 'tenant', tables: ['personas', 'conversations', 'messages'], primaryTable: 'conversations'},
	{id: 'workflows', label: 'Workflows', description: 'definitions and version history', scope: 'tenant', tables: ['workflows', 'workflow_versions'], primaryTable: 'workflows'},
	{id: 'memory', label: 'Memory', description: 'long-term entries and daily logs', scope: 'tenant', tables: ['memory_entries', 'memory_daily_logs'], primaryTable: 'memory_entries'},
	{id: 'documents', label: 'Documents', description: 'raw files and extracted text', scope: 'tenant', tables: ['documents'], primaryTable: 'documents'},
	{id: 'tools', label: 'Tools', description: 'tool definitions', scope: 'tenant', tables: ['tools'], primaryTable: 'tools'},
	{id: 'cron', label: 'Cron jobs', description: 'definitions and run history', scope: 'tenant', tables: ['cron_jobs', 'cron_runs'], primaryTable: 'cron_jobs'},
	{id: 'webhooks', label: 'Webhooks', description: 'definitions (secrets redacted)', scope: 'tenant', tables: ['webhooks'], primaryTable: 'webhooks'},
	{id: 'connections', label: 'Connections', description: 'metadata (tokens redacted)', scope: 'tenant', tables: ['connections'], primaryTable: 'connections'},
	{id: 'channels', label: 'Channels', description: 'configuration (tokens redacted)', scope: 'tenant', tables: ['channels'], primaryTable: 'channels'},
	{id: 'skills', label: 'Skills', description: 'installed skills, versions, enabled agents', scope: 'tenant', tables: ['skills'], primaryTable: 'skills'},
	{
		id: 'mcp',
		label: 'MCP config',
		description: 'mcp.json, mcp-server.json (tokens redacted)',
		scope: 'gateway',
		tables: [],
		files: [
			{path: 'mcp.json', archivePath: 'mcp/mcp.json', kind: 'json', optional: true},
			{path: 'mcp-server.json', archivePath: 'mcp/mcp-server.json', kind: 'json', optional: true},
		],
	},
	{id: 'nodes', label: 'Node pairings', description: 'paired nodes (secrets redacted; re-pair on restore)', scope: 'tenant', tables: ['node_pairings'], primaryTable: 'node_pairings'},
	{
		id: 'collaboration',
		label: 'Discussions & tasks',
		description: 'discussions, insights, tasks, approvals',
		scope: 'tenant',
		tables: ['discussions', 'insights', 'tasks', 'approvals'],
		primaryTable: 'tasks',
	},
	{id: 'audit', label: 'Audit log', description: 'audit entries', scope: 'tenant', tables: ['audit_log'], primaryTable: 'audit_log'},
	{
		id: 'license',
		label: 'License key',
		description: 'the gateway license key',
		scope: 'gateway',
		tables: [],
		files: [{path: 'license.key', archivePath: 'license/license.key', kind: 'opaque', optional: true}],
	},
	{
		id: 'config',
		label: 'Gateway config',
		description: 'appsettings.json and overrides (secrets redacted)',
		scope: 'gateway',
		tables: [],
		files: [
			{path: 'appsettings.json', archivePath: 'config/appsettings.backup.json', kind: 'json'},
			{path: 'appsettings.Production.json', archivePath: 'config/appsettings.Production.backup.json', kind: 'json', optional: true},
		],
	},
];

export const CATEGORY_IDS: readonly CategoryId[] = CATEGORIES.map(category => category.id);

/** Files per agent directory, in the order they are shown. */
export const AGENT_MARKDOWN_FILES = ['SOUL.md', 'BOOT.md', 'HEARTBEAT.md', 'TOOLS.md', 'AGENTS.md'] as const;

/** Extensions whose bytes are already compressed: stored, not deflated, in zip archives. */
export const PRECOMPRESSED_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'pdf', 'zip', 'gz', 'tgz', 'xz', 'zst', 'bz2', '7z', 'mp3', 'mp4', 'docx', 'xlsx', 'pptx', 'enc']);

export function tableSpec(name: string): TableSpec {
	const spec = TABLES.find(table => table.name === name);
	if (!spec) throw new Error(`Unknown table ${name}`);
	return spec;
}

export function categorySpec(id: CategoryId): CategorySpec {
	const spec = CATEGORIES.find(category => category.id === id);
	if (!spec) throw new Error(`Unknown category ${id}`);
	return spec;
}

export function allColumns(table: TableSpec): readonly ColumnSpec[] {
	return [...COMMON_COLUMNS, ...table.columns];
}

export function isCategoryId(value: string): value is CategoryId {
	return (CATEGORY_IDS as readonly string[]).includes(value);
}

/** CREATE TABLE statements for every table, with tenant and timestamp indexes. */
export function schemaDdl(): string {
	const statements: string[] = [
		`CREATE TABLE IF NOT EXISTS schema_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	];
	for (const table of TABLES) {
		const columns = allColumns(table).map(column => {
			const notNull = column.nullable ? '' : ' NOT NULL';
			const primary = column.name === 'id' ? ' PRIMARY KEY' : '';
			return `${column.name} ${column.type}${primary}${primary ? '' : notNull}`;
		});
		statements.push(`CREATE TABLE IF NOT EXISTS ${table.name} (${columns.join(', ')})`);
		statements.push(`CREATE INDEX IF NOT EXISTS ${table.name}_tenant ON ${table.name}(tenant_id)`);
	}
	return statements.join(';\n') + ';';
}
