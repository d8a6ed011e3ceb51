/**
 * `backup restore --in atlas-backup-….json --into-tenant T`: an ATLAS export is converted into a
 * Lifeboat JSON bundle in a private scratch folder (core/atlas), which then takes the ordinary
 * restore path (verify, plan or restore, quarantine); the folder goes when the command ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import {convertAtlasExport, describeAtlasExport, type AtlasConversion} from '../core/atlas/atlas-import.js';
import {LifeboatError} from '../core/errors.js';
import {printable} from '../core/destinations/destination.js';
import {countOf} from '../core/format.js';
import {freshPidScratch} from '../core/pid-scratch.js';
import {writeLine, type CommandContext} from './command-context.js';

/** Prefix of the scratch folders an ATLAS export is converted in (removed when the command ends). */
const ATLAS_SCRATCH_PREFIX = 'lifeboat-atlas-';

/** The converted bundle's path, handed to `restore`; the scratch folder is removed afterwards. */
export async function withAtlasConversion(context: CommandContext, file: string, dataDir: string, restore: (bundle: string, conversion: AtlasConversion) => Promise<number>): Promise<number> {
	const {flags} = context;
	if (!flags.intoTenant) {
		// Not an ATLAS export after all (another JSON file): that is what to say (exit 5).
		describeAtlasExport(file, file);
		throw new LifeboatError('usage', `${file} is an ATLAS export: it is imported into one tenant: add --into-tenant T (and --as-user U for its conversations)`);
	}
	const base = process.env['LIFEBOAT_TMPDIR'] ?? os.tmpdir();
	// The converted conversations are the tenant's data: a killed import's folder is removed by the next one.
	const scratch = freshPidScratch(base, ATLAS_SCRATCH_PREFIX, `Converting ${file}`);
	try {
		const conversion = await convertAtlasExport(file, file, {dataDir, tenant: flags.intoTenant, user: flags.asUser, agent: flags.agent}, scratch);
		if (!flags.json) {
			const {personas, conversations, messages} = conversion.counts;
			writeLine(context, `ATLAS export ${printable(file)}: ${countOf(personas, 'persona')}, ${countOf(conversations, 'conversation')}, ${countOf(messages, 'message')}, as the chats of tenant ${printable(conversion.tenant.slug)}`);
			for (const note of conversion.notes) writeLine(context, `Note: ${note}`);
		}
		// The bundle is the tenant's own: restored as such (no --into-tenant remap, nor its warning).
		return await restore(conversion.file, conversion);
	} finally {
		fs.rmSync(scratch, {recursive: true, force: true});
	}
}
