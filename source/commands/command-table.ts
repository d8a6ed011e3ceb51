import type {CommandContext, Flags} from './command-context.js';

export type CommandModule = {help: string; run(context: CommandContext): Promise<number>};

export type FlagName = Exclude<keyof Flags, 'help' | 'version'>;

export type CommandSpec = {
	words: readonly [string, string];
	summary: string;
	/** The only flags this command accepts (--help always works); anything else is exit 2. */
	flags: readonly FlagName[];
	/** At most this many positional arguments after the command words. */
	maxArgs: number;
	load(): Promise<CommandModule>;
};

/** Every CLI command: its words, one-line summary and lazily loaded implementation. */
export const COMMANDS: CommandSpec[] = [
	{words: ['demo', 'init'], summary: 'create a realistic demo gateway', flags: ['dir', 'dataDir', 'tenants', 'scale', 'seed', 'json'], maxArgs: 0, load: async () => import('./demo-init.js')},
	{words: ['backup', 'create'], summary: 'write a backup (zip, tar.gz or folder)', flags: ['dataDir', 'dest', 'out', 'format', 'categories', 'tenant', 'name', 'encrypt', 'passphraseFile', 'verify', 'force', 'json'], maxArgs: 0, load: async () => import('./backup-create.js')},
	{words: ['backup', 'verify'], summary: 'check a backup against its manifest', flags: ['in', 'passphraseFile', 'json'], maxArgs: 1, load: async () => import('./backup-verify.js')},
	{words: ['backup', 'list'], summary: 'list the backups in a folder', flags: ['dest', 'json'], maxArgs: 1, load: async () => import('./backup-list.js')},
	{words: ['backup', 'restore'], summary: 'restore a backup (plan first; additive, replace, --only, --into-tenant)', flags: ['in', 'dataDir', 'mode', 'only', 'intoTenant', 'dryRun', 'yes', 'passphraseFile', 'keyFile', 'json'], maxArgs: 1, load: async () => import('./backup-restore.js')},
	{words: ['quarantine', 'list'], summary: 'list restores with conflicting entries set aside', flags: ['dataDir', 'json'], maxArgs: 1, load: async () => import('./quarantine-list.js')},
	{words: ['quarantine', 'show'], summary: 'show a quarantined entry beside the live one', flags: ['dataDir', 'json'], maxArgs: 2, load: async () => import('./quarantine-show.js')},
	{words: ['quarantine', 'accept'], summary: 'apply quarantined entries over the live ones', flags: ['dataDir', 'yes', 'json'], maxArgs: Number.POSITIVE_INFINITY, load: async () => import('./quarantine-accept.js')},
	{words: ['quarantine', 'discard'], summary: 'delete quarantined entries', flags: ['dataDir', 'yes', 'json'], maxArgs: Number.POSITIVE_INFINITY, load: async () => import('./quarantine-discard.js')},
];

export function findCommand(first: string, second: string | undefined): CommandSpec | undefined {
	return COMMANDS.find(command => command.words[0] === first && command.words[1] === second);
}

/** The commands of a group (`backup`, `quarantine`, `demo`); empty when there is no such group. */
export function groupCommands(group: string): CommandSpec[] {
	return COMMANDS.filter(command => command.words[0] === group);
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
  8 a gateway file changed during the backup (run it again) · 130 interrupted
`;
}
