import {LifeboatError} from '../core/errors.js';
import {addNamedDestination, configFile, readNamedDestinations, removeNamedDestination, type NamedDestination} from '../core/destinations/named-destinations.js';
import {testDestination} from '../core/destinations/test-destination.js';
import {openTarget, warn, writeJson, writeLine, type CommandContext} from './command-context.js';

export const addHelp = `
Usage
  $ lifeboat destination add NAME URL [--s3-endpoint URL] [--s3-region R] [--azure-endpoint URL]
                                      [--ssh-key FILE] [--known-hosts FILE] [--force] [--json]

Saves a destination under a name, so --dest NAME works wherever a URL does. URL is a local
folder, s3://BUCKET/PREFIX/, azblob://ACCOUNT/CONTAINER/PREFIX/ or sftp://USER@HOST:PORT/PATH/.
Stored in $XDG_CONFIG_HOME/lifeboat/destinations.json (mode 0600) with no secret: credentials
stay in the environment, an AWS profile, or key files (only their paths are stored).
--force replaces a destination of the same name.
`;

export const listHelp = `
Usage
  $ lifeboat destination list [--json]

Lists the named destinations and the config file they are kept in.
`;

export const removeHelp = `
Usage
  $ lifeboat destination remove NAME [--json]

Forgets a named destination (the backups stored there are not touched).
`;

export const testHelp = `
Usage
  $ lifeboat destination test NAME|URL [--json] [remote flags]

Writes a small object, lists it, reads it back and deletes it, reporting each step and its
time. Exit 0 when every step passed, 4 at the first that failed (its reason on the line).
`;

const settingsOf = (entry: NamedDestination) =>
	Object.entries(entry)
		.filter(([key]) => key !== 'name' && key !== 'url')
		.map(([key, value]) => `${key}=${value}`)
		.join(' ');

export async function add(context: CommandContext): Promise<number> {
	const [name, url] = context.args;
	if (!name || !url) throw new LifeboatError('usage', 'Usage: lifeboat destination add NAME URL [options]');
	const {flags} = context;
	const stored = addNamedDestination({name, url, s3Endpoint: flags.s3Endpoint, s3Region: flags.s3Region, azureEndpoint: flags.azureEndpoint, sshKey: flags.sshKey, knownHosts: flags.knownHosts}, {replace: flags.force, env: context.env});
	if (flags.json) writeJson(context, {ok: true, destination: stored, file: configFile(context.env)});
	else writeLine(context, `Saved destination ${stored.name}: ${stored.url}${settingsOf(stored) ? ` (${settingsOf(stored)})` : ''}`);
	return 0;
}

export async function list(context: CommandContext): Promise<number> {
	const destinations = readNamedDestinations(context.env);
	if (context.flags.json) {
		writeJson(context, {ok: true, file: configFile(context.env), destinations});
		return 0;
	}
	if (destinations.length === 0) writeLine(context, `No named destinations (add one: lifeboat destination add NAME URL)`);
	for (const entry of destinations) writeLine(context, `${entry.name.padEnd(16)} ${entry.url}${settingsOf(entry) ? `  ${settingsOf(entry)}` : ''}`);
	return 0;
}

export async function remove(context: CommandContext): Promise<number> {
	const [name] = context.args;
	if (!name) throw new LifeboatError('usage', 'Usage: lifeboat destination remove NAME');
	const removed = removeNamedDestination(name, context.env);
	if (context.flags.json) writeJson(context, {ok: true, removed});
	else writeLine(context, `Removed destination ${removed.name} (${removed.url}); the backups stored there were not touched`);
	return 0;
}

export async function test(context: CommandContext): Promise<number> {
	const [text] = context.args;
	if (!text) throw new LifeboatError('usage', 'Usage: lifeboat destination test NAME|URL');
	const target = await openTarget(context, text);
	if (target.object) throw new LifeboatError('usage', `${text} names one backup; give the folder or prefix to test`);
	try {
		const json = context.flags.json;
		if (!json) writeLine(context, `Testing ${target.destination.label}`);
		const result = await testDestination(target.destination, step => {
			if (!json) writeLine(context, `  ${step.ok ? 'ok  ' : 'FAIL'} ${step.step.padEnd(6)} ${String(step.ms).padStart(5)} ms  ${step.detail}`);
		});
		if (json) writeJson(context, {ok: result.ok, destination: target.destination.label, steps: result.steps});
		else if (!result.ok) warn(context, `${target.destination.label}: ${result.steps.at(-1)!.step} failed: ${result.steps.at(-1)!.detail}`);
		return result.ok ? 0 : 4;
	} finally {
		await target.destination.close();
	}
}
