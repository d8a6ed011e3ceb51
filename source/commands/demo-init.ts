import path from 'node:path';
import {generateDemo, type DemoScale} from '../core/demo/generate-demo.js';
import {LifeboatError} from '../core/errors.js';
import {formatBytes, formatCount} from '../core/format.js';
import {clearProgress, demoHome, progressLine, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat demo init [--dir DIR] [--tenants N] [--scale small|medium|large] [--seed S] [--json]

Creates a realistic, deterministic demo gateway (tenants, users with 2FA, agents, chats,
workflows, memory, real PNG/PDF documents, webhooks and connections holding secrets) in DIR
(default .lifeboat-demo/gateway).
`;

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const scale = (flags.scale ?? 'small') as DemoScale;
	if (!['small', 'medium', 'large'].includes(scale)) throw new LifeboatError('usage', `Unknown --scale ${flags.scale} (use small, medium or large)`);
	const dir = path.resolve(flags.dir ?? flags.dataDir ?? path.join(demoHome(context.env), 'gateway'));
	const summary = await generateDemo({dir, tenants: flags.tenants, scale, seed: flags.seed, onProgress: message => progressLine(context, `Generating ${message}`)});
	clearProgress(context);
	if (flags.json) writeJson(context, {ok: true, ...summary});
	else {
		writeLine(context, `Demo gateway created in ${summary.dir}`);
		writeLine(context, `  ${summary.tenants} tenants · ${formatCount(summary.rows)} rows · ${formatCount(summary.files)} files (${formatBytes(summary.bytes)})`);
		writeLine(context, `  try: lifeboat backup create --data-dir ${summary.dir} --dest ./backups`);
	}
	return 0;
}
