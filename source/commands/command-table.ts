import type {CommandContext, Flags} from './command-context.js';

/** The remote connection flags, for the commands that reach destinations. */
const REMOTE_FLAGS = ['s3Endpoint', 's3Region', 'azureEndpoint', 'sshKey', 'knownHosts', 'trustHostKey'] as const;

/** The four `destination` commands live in one module. */
async function destinationCommand(which: 'add' | 'list' | 'remove' | 'test'): Promise<CommandModule> {
	const module = await import('./destination.js');
	return {help: module[`${which}Help`], run: module[which]};
}

/** The `schedule` commands live in one module. */
async function scheduleCommand(which: 'add' | 'list' | 'remove' | 'runNow' | 'install' | 'daemon'): Promise<CommandModule> {
	const module = await import('./schedule.js');
	return {help: module[`${which}Help`], run: module[which]};
}

export type CommandModule = {help: string; run(context: CommandContext): Promise<number>};

export type FlagName = Exclude<keyof Flags, 'help' | 'version'>;

export type CommandSpec = {
	/** One word (`drill`) or a group and a command (`backup create`). */
	words: readonly [string] | readonly [string, string];
	summary: string;
	/** The only flags this command accepts (--help always works); anything else is exit 2. */
	flags: readonly FlagName[];
	/** At most this many positional arguments after the command words. */
	maxArgs: number;
	/** Value flags this command takes as switches (`schedule install --cron`). */
	switches?: readonly FlagName[];
	load(): Promise<CommandModule>;
};

/** Every CLI command: its words, one-line summary and lazily loaded implementation. */
export const COMMANDS: CommandSpec[] = [
	{words: ['demo', 'init'], summary: 'create a realistic demo gateway', flags: ['dir', 'dataDir', 'tenants', 'scale', 'seed', 'json'], maxArgs: 0, load: async () => import('./demo-init.js')},
	{words: ['backup', 'create'], summary: 'write a backup (zip, tar.gz, tar.zst, JSON bundle or folder)', flags: ['dataDir', 'dest', 'out', 'format', 'compression', 'includeFiles', 'categories', 'tenant', 'name', 'encrypt', 'passphraseFile', 'verify', 'force', 'incremental', 'sinceLast', 'base', 'json', ...REMOTE_FLAGS], maxArgs: 0, load: async () => import('./backup-create.js')},
	{words: ['backup', 'verify'], summary: 'check a backup against its manifest', flags: ['in', 'passphraseFile', 'json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => import('./backup-verify.js')},
	{words: ['backup', 'list'], summary: 'list the backups in a folder or at a destination', flags: ['dest', 'json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => import('./backup-list.js')},
	{words: ['backup', 'restore'], summary: 'restore a backup (plan first; additive, replace, --only, --into-tenant)', flags: ['in', 'dataDir', 'mode', 'only', 'intoTenant', 'asUser', 'agent', 'dryRun', 'yes', 'passphraseFile', 'keyFile', 'json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => import('./backup-restore.js')},
	{words: ['backup', 'diff'], summary: 'compare two backups, or a backup with the live store (added, removed, changed)', flags: ['dataDir', 'id', 'passphraseFile', 'passphraseFileB', 'json', ...REMOTE_FLAGS], maxArgs: 2, load: async () => import('./backup-diff.js')},
	{words: ['backup', 'download'], summary: 'copy a backup from a destination to a file, folder or stdout', flags: ['in', 'out', 'force', 'json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => import('./backup-download.js')},
	{words: ['backup', 'delete'], summary: 'delete one backup (local or at a destination)', flags: ['in', 'yes', 'force', 'json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => import('./backup-delete.js')},
	{words: ['backup', 'prune'], summary: 'remove the backups a retention policy does not keep (restic rules)', flags: ['dest', 'keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepWithin', 'dryRun', 'yes', 'json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => import('./backup-prune.js')},
	{words: ['destination', 'add'], summary: 'save a destination under a name (no secrets stored)', flags: ['force', 'json', 's3Endpoint', 's3Region', 'azureEndpoint', 'sshKey', 'knownHosts'], maxArgs: 2, load: async () => destinationCommand('add')},
	{words: ['destination', 'list'], summary: 'list the named destinations', flags: ['json'], maxArgs: 0, load: async () => destinationCommand('list')},
	{words: ['destination', 'remove'], summary: 'forget a named destination', flags: ['json'], maxArgs: 1, load: async () => destinationCommand('remove')},
	{words: ['destination', 'test'], summary: 'write, list, read back and delete a test object', flags: ['json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => destinationCommand('test')},
	{words: ['schedule', 'add'], summary: 'run a backup on a cron schedule, with retention (no secrets stored)', flags: ['cron', 'tz', 'keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepWithin', 'webhook', 'fullEvery', 'json'], maxArgs: Number.POSITIVE_INFINITY, load: async () => scheduleCommand('add')},
	{words: ['schedule', 'list'], summary: 'list the schedules: next run, last run and result', flags: ['json'], maxArgs: 0, load: async () => scheduleCommand('list')},
	{words: ['schedule', 'remove'], summary: 'forget a schedule (its backups are kept)', flags: ['json'], maxArgs: 1, load: async () => scheduleCommand('remove')},
	{words: ['schedule', 'run-now'], summary: 'run a schedule once now, as the daemon would', flags: ['json'], maxArgs: 1, load: async () => scheduleCommand('runNow')},
	{words: ['schedule', 'install'], summary: 'print a systemd unit or crontab line that runs the daemon', flags: ['systemd', 'cron'], switches: ['cron'], maxArgs: 0, load: async () => scheduleCommand('install')},
	{words: ['schedule', 'daemon'], summary: 'run the schedules (foreground; for systemd or a container)', flags: [], maxArgs: 0, load: async () => scheduleCommand('daemon')},
	{words: ['quarantine', 'list'], summary: 'list restores with conflicting entries set aside', flags: ['dataDir', 'json'], maxArgs: 1, load: async () => import('./quarantine-list.js')},
	{words: ['quarantine', 'show'], summary: 'show a quarantined entry beside the live one', flags: ['dataDir', 'json'], maxArgs: 2, load: async () => import('./quarantine-show.js')},
	{words: ['quarantine', 'accept'], summary: 'apply quarantined entries over the live ones', flags: ['dataDir', 'yes', 'json'], maxArgs: Number.POSITIVE_INFINITY, load: async () => import('./quarantine-accept.js')},
	{words: ['quarantine', 'discard'], summary: 'delete quarantined entries', flags: ['dataDir', 'yes', 'json'], maxArgs: Number.POSITIVE_INFINITY, load: async () => import('./quarantine-discard.js')},
	{words: ['serve'], summary: 'HTTP API for backups and restores, per tenant (token auth)', flags: ['dataDir', 'dest', 'host', 'port', 'tokenFile', 'tlsCert', 'tlsKey', 'insecureHttp', 'uploadLimitMb', 'requestTimeoutS', ...REMOTE_FLAGS], maxArgs: 0, load: async () => import('./serve.js')},
	{words: ['drill'], summary: 'prove a backup restores: scratch restore, checks, RPO/RTO report', flags: ['in', 'latest', 'dest', 'dataDir', 'report', 'history', 'passphraseFile', 'keyFile', 'json', ...REMOTE_FLAGS], maxArgs: 1, load: async () => import('./drill.js')},
];

export function findCommand(first: string, second: string | undefined): CommandSpec | undefined {
	return COMMANDS.find(command => command.words[0] === first && (command.words.length === 1 || command.words[1] === second));
}

/** The commands of a group (`backup`, `quarantine`, `demo`); empty when there is no such group. */
export function groupCommands(group: string): CommandSpec[] {
	return COMMANDS.filter(command => command.words[0] === group && command.words.length === 2);
}

export function groupHelp(group: string): string {
	const commands = groupCommands(group).map(command => `  lifeboat ${command.words.join(' ').padEnd(20)} ${command.summary}`).join('\n');
	return `Usage\n  $ lifeboat ${group} <command> [options]\n\nCommands\n${commands}\n\nHelp for one: lifeboat ${group} <command> --help`;
}

export function topLevelHelp(): string {
	const commands = COMMANDS.map(command => `  ${command.words.join(' ').padEnd(20)} ${command.summary}`).join('\n');
	return `
Lifeboat: backup & restore console for self-hosted AI-agent gateways

Usage
  $ lifeboat                      open the interactive console (needs a terminal)
  $ lifeboat <group> <command> [options]

Commands
${commands}

Common options
  --data-dir DIR   gateway data directory (env LIFEBOAT_DATA_DIR)
  --json           machine-readable output on stdout
  --help, -h       help for a command, e.g. lifeboat backup create --help
  --version, -v    print the version

Exit codes
  0 ok · 1 internal error · 2 usage · 3 not a gateway / unknown tenant · 4 destination problem
  5 corrupt, unsafe or unsupported backup · 6 wrong passphrase · 7 conflict
  8 a gateway file changed during the backup (run it again) · 9 gateway database locked
  10 a drill check failed · 130 interrupted
`;
}
