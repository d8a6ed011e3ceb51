/**
 * The command line of every command (and of the console, when it comes with flags of its own
 * that need meow: --help, --version, an unknown one): parsed by meow against the command table,
 * then run. Loaded by cli.tsx only when the console alone was not asked for.
 */
import meow from 'meow';
import {LifeboatError, outsideRestore} from './core/errors.js';
import type {CommandContext, Flags} from './commands/command-context.js';
import {COMMANDS, findCommand, groupCommands, groupHelp, topLevelHelp} from './commands/command-table.js';
import {TOOL_VERSION} from './core/version.js';
import {checkUsage} from './commands/check-usage.js';
import {FLAGS} from './commands/cli-flags.js';
import {openConsole} from './open-console.js';

/**
 * meow's own refusals (a flag given twice, a value missing…) as a usage error (exit 2), with
 * flags named as they are typed: `The flag --dataDir can only be set once.` becomes `the flag
 * --data-dir can only be set once`.
 */
function meowUsage(error: unknown): LifeboatError {
	const message = (error instanceof Error ? error.message : String(error)).replace(/--([a-z][A-Za-z]*)/g, (_flag, name: string) => `--${name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`)}`);
	return new LifeboatError('usage', `${message.replace(/^The /, 'the ').replace(/\.$/, '')} (see lifeboat --help)`);
}

/** Parses and runs a command line; `onJson` learns whether its errors are to be JSON too (--json). */
export async function runCommandLine(argv: string[], onJson: (json: boolean) => void): Promise<number> {
	// Known before meow parses: its own refusals are then reported as JSON too.
	onJson(argv.includes('--json'));
	// Unknown flags are reported below like every other usage error (so --json still gets JSON).
	let cli: ReturnType<typeof meow<typeof FLAGS>>;
	try {
		cli = meow(topLevelHelp(), {importMeta: import.meta, argv, autoHelp: false, autoVersion: false, allowUnknownFlags: true, flags: FLAGS});
	} catch (error) {
		throw meowUsage(error);
	}
	const flags = cli.flags as Flags;
	onJson(Boolean(flags.json));
	const [first, second, ...more] = cli.input;
	const command = first ? findCommand(first, second) : undefined;
	// A one-word command (`drill`) takes the second word as its first argument.
	const rest = command?.words.length === 1 && second !== undefined ? [second, ...more] : more;
	// A command's own flags and arguments first (it can say "did you mean"), then any unknown short flag.
	if (command) {
		const valueFlags = Object.entries(FLAGS).filter(([, spec]) => spec.type !== 'boolean').map(([flag]) => flag);
		checkUsage(command, argv, rest, valueFlags);
	}
	const unknown = Object.keys(cli.flags).filter(name => !(name in FLAGS) && name !== 'h');
	if (unknown.length > 0) {
		const dashed = unknown.map(name => `--${name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`)}`);
		throw new LifeboatError('usage', `Unknown flag${dashed.length > 1 ? 's' : ''} ${dashed.join(', ')} (see lifeboat --help)`);
	}
	if (flags.version) {
		process.stdout.write(`${TOOL_VERSION}\n`);
		return 0;
	}
	if (!first) {
		if (flags.help) {
			process.stdout.write(topLevelHelp() + '\n');
			return 0;
		}
		return openConsole({dataDir: flags.dataDir, dest: flags.dest});
	}
	const group = groupCommands(first);
	if (!command && group.length > 0 && second === undefined) {
		// A group alone did nothing: --help lists its commands (exit 0), else a usage error (exit 2),
		// so a script that lost its subcommand never looks like a successful backup.
		if (flags.help) {
			process.stdout.write(groupHelp(first) + '\n');
			return 0;
		}
		throw new LifeboatError('usage', `${first} needs a command: ${group.map(entry => entry.words[1]).join(', ')} (see lifeboat ${first} --help)`);
	}
	if (!command) {
		const known = COMMANDS.map(entry => entry.words.join(' ')).join(', ');
		throw new LifeboatError('usage', `unknown command "${[first, second].filter(Boolean).join(' ')}" (commands: ${known}; see lifeboat --help)`);
	}
	const module = await command.load();
	if (flags.help) {
		process.stdout.write(module.help.trim() + '\n');
		return 0;
	}
	const controller = new AbortController();
	let signals = 0;
	const onSignal = (signal: NodeJS.Signals) => {
		signals++;
		// First signal: stop cleanly (partial files are removed). Second: leave now.
		if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
		controller.abort(new LifeboatError('interrupted', `Interrupted by ${signal}; nothing partial was left behind`));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	const context: CommandContext = {
		flags,
		args: rest,
		stdout: process.stdout,
		stderr: process.stderr,
		env: process.env,
		signal: controller.signal,
	};
	try {
		return await module.run(context);
	} catch (error) {
		throw RESTORING_COMMANDS.has(command.words.join(' ')) ? error : outsideRestore(error);
	}
}

/** The commands that write a backup's data into a gateway: their refusals say that nothing was restored. */
const RESTORING_COMMANDS = new Set(['backup restore', 'quarantine accept', 'drill']);
