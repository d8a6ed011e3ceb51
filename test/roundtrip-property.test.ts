/**
 * Issue 8: exit 0 must mean this restores. Property-based round trip over generated gateways
 * holding arbitrary legal ids, values, file names and days (test/helpers/legal-gateway.ts): each
 * is backed up in every format, verified, restored into an empty copy (additive and replace) and
 * compared cell by cell (storage class and bytes) and file by file.
 *
 * Runs: LIFEBOAT_PROPERTY_RUNS (default 24) sizes every property (see RUNS); the CI default
 * keeps the file under a minute. LIFEBOAT_PROPERTY_SEED (and LIFEBOAT_PROPERTY_PATH) replay a
 * failure: the failure message prints the exact command. Long run: `npm run test:property`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {agentFileKind, gatewayModel, materialise, readTables, safeId, type GatewayOptions} from './helpers/legal-gateway.js';
import {EVERY_FORMAT, roundTrip} from './helpers/round-trip.js';

const FILE = 'test/roundtrip-property.test.ts';
/**
 * Cases of the values property; ids and names run half as many, full gateways an eighth (each
 * full case is 4 backups, 4 verifies and 7 restores). Measured on passing (plain) data with the
 * default 24: about 32 s of CPU, 60 s wall on 2 cores shared with other jobs (load 6-8); plus
 * the generator check and 20 materialisations. `npm run test:property` runs 1,000.
 */
const RUNS = Math.max(1, Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 24));
const SEED = process.env['LIFEBOAT_PROPERTY_SEED'] === undefined ? undefined : Number(process.env['LIFEBOAT_PROPERTY_SEED']);
const PATH = process.env['LIFEBOAT_PROPERTY_PATH'];

/** Time spent shrinking a failure before the smallest counterexample found so far is reported. */
const SHRINK_MS = Number(process.env['LIFEBOAT_PROPERTY_SHRINK_MS'] ?? 30_000);

/**
 * Runs a property; a failure names the seed, the shrunk counterexample, its error and the
 * command that replays it. Shrinking a failure re-runs whole backups and restores, so it is
 * bounded: once SHRINK_MS have passed since the first failure, further candidates are not run
 * (counted as passing), which ends shrinking at the smallest failing case found so far.
 */
async function runProperty<T>(name: string, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, numRuns: number): Promise<void> {
	let firstFailure: number | undefined;
	const bounded = async (value: T) => {
		if (firstFailure !== undefined && Date.now() - firstFailure > SHRINK_MS) return;
		try {
			await predicate(value);
		} catch (error) {
			firstFailure ??= Date.now();
			throw error;
		}
	};
	const details = await fc.check(fc.asyncProperty(arbitrary, bounded), {numRuns, seed: SEED, path: PATH});
	if (!details.failed) return;
	const report = (await fc.asyncDefaultReportMessage(details)) ?? 'property failed';
	const replay = `LIFEBOAT_PROPERTY_SEED=${details.seed} LIFEBOAT_PROPERTY_PATH=${details.counterexamplePath ?? ''} LIFEBOAT_PROPERTY_RUNS=1 npx vitest run ${FILE} -t '${name}'`;
	const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
	throw new Error(`${name}\nReplay: ${replay}\nFailure of the counterexample below: ${error}\n${report}`, {cause: details.errorInstance});
}

const model = (options: GatewayOptions) => gatewayModel(options);

/** A cap only: a failing property shrinks for up to SHRINK_MS; passing runs take a fraction of a second each. */
const TIMEOUT = 120_000 + SHRINK_MS + RUNS * 5_000;

describe('property: every legal gateway restores exactly from every backup that exits 0 (issue 8)', () => {
	it('control: plain gateways (safe ids, plain values and names) round-trip through the whole plan', async () => {
		await runProperty('control:', model({ids: safeId, plainValues: true, plainNames: true, maxRows: 3}), async value => roundTrip(value, EVERY_FORMAT), Math.ceil(RUNS / 24));
	}, TIMEOUT);

	it('values: every SQLite storage class in every column (integers beyond 2^53, text in INTEGER, BLOBs, NUL, invalid UTF-8)', async () => {
		await runProperty(
			'values:',
			model({ids: safeId, plainNames: true, files: false, maxRows: 3}),
			async value => roundTrip(value, {backups: [{format: 'dir', modes: ['additive']}, {format: 'json', modes: ['additive']}]}),
			RUNS,
		);
	}, TIMEOUT);

	it('ids and references: any id a TEXT PRIMARY KEY accepts (msg:1, agt.v2, 144 characters, empty, /, \\, newline, ..)', async () => {
		await runProperty(
			'ids and references:',
			model({plainValues: true, plainNames: true, maxRows: 3}),
			async value => roundTrip(value, {backups: [{format: 'zip', modes: ['additive']}]}),
			Math.ceil(RUNS / 2),
		);
	}, TIMEOUT);

	it('names: days, document extensions and agent file paths (/, newline, backslash, dots, unicode, > 1,024 characters)', async () => {
		await runProperty(
			'names:',
			model({ids: safeId, plainValues: true, tables: ['agents', 'memory_daily_logs', 'documents'], maxRows: 3}),
			async value => roundTrip(value, {backups: [{format: 'tar.gz', modes: ['replace'], reRestore: true}, {format: 'zip', modes: ['additive']}, {format: 'json', modes: ['additive']}]}),
			Math.ceil(RUNS / 2),
		);
	}, TIMEOUT);

	it('full gateways: every format (zip, tar.gz, dir, encrypted, json), additive and replace, restore twice, replace over a modified copy', async () => {
		await runProperty(
			'full gateways:',
			model({maxRows: 3}),
			async value => roundTrip(value, EVERY_FORMAT),
			Math.ceil(RUNS / 8),
		);
	}, TIMEOUT);

	it('the generators produce what they promise (a legal gateway materialises; the skip rule matches the product)', async () => {
		fc.assert(
			fc.property(model({maxRows: 2}), value => {
				const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-property-gen-'));
				try {
					const gateway = materialise(value, path.join(work, 'source'));
					for (const file of gateway.skippedAgentFiles) expect(agentFileKind(file)).toBe('skip');
					expect(readTables(gateway.dataDir)['tenants']).toHaveLength(value.tenants.length);
				} finally {
					fs.rmSync(work, {recursive: true, force: true});
				}
			}),
			{numRuns: 20, seed: SEED},
		);
	});
});
