import fc from 'fast-check';
import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {stripVTControlCharacters} from 'node:util';
import {describe, expect, test} from 'vitest';
import {useAsync} from '../../source/ui/hooks/use-async.js';
import {settled} from './harness.js';

/**
 * useAsync on its own, under any order of key changes and of answers (late, out of order, for
 * keys long gone, failures): no frame ever shows an answer for a key other than the one on
 * screen, nor an older load's answer for that key once a newer load of it has started.
 */
type Call = {key: number; serial: number; settle: (ok: boolean) => void};

function Probe({k, loads}: {k: number; loads: {calls: Call[]; latest: Map<number, number>}}) {
	const state = useAsync(
		() =>
			new Promise<string>((resolve, reject) => {
				const serial = loads.calls.length;
				loads.latest.set(k, serial);
				loads.calls.push({key: k, serial, settle: ok => (ok ? resolve(`${k}#${serial}`) : reject(new Error(`failed ${k}#${serial}`)))});
			}),
		[k],
	);
	const shown = state.status === 'done' ? `value=${state.value}` : state.status === 'error' ? `error=${state.error}` : 'loading';
	return <Text>{`key=${k} latest=${loads.latest.get(k) ?? -1} ${shown}`}</Text>;
}

type Op = {kind: 'key'; key: number} | {kind: 'answer'; pick: number; ok: boolean};

const op: fc.Arbitrary<Op> = fc.oneof(
	fc.record({kind: fc.constant('key' as const), key: fc.integer({min: 0, max: 2})}),
	fc.record({kind: fc.constant('answer' as const), pick: fc.nat(), ok: fc.boolean()}),
);

/** The rule every frame must keep; returns what is wrong with `frame`, or ''. */
function violation(frame: string): string {
	const match = /key=(\d+) latest=(-?\d+) (?:value=|error=.*?)(\d+)#(\d+)/.exec(frame);
	if (!match) return '';
	const [, key, latest, answeredKey, serial] = match;
	if (answeredKey !== key) return `answer for key ${answeredKey} shown under key ${key}`;
	if (serial !== latest) return `answer of load #${serial} shown while load #${latest} of key ${key} is the current one`;
	return '';
}

describe('useAsync', () => {
	test('a key change shows loading in the very frame it is drawn, never the old key’s rows', async () => {
		const loads = {calls: [] as Call[], latest: new Map<number, number>()};
		const app = render(<Probe k={0} loads={loads} />);
		try {
			await settled();
			loads.calls[0]!.settle(true);
			await settled();
			expect(stripVTControlCharacters(app.lastFrame() ?? '')).toBe('key=0 latest=0 value=0#0');
			const mark = app.frames.length;
			app.rerender(<Probe k={1} loads={loads} />);
			// The render of the new key itself (before any effect ran) is already loading.
			expect(stripVTControlCharacters(app.frames[mark] ?? '')).toBe('key=1 latest=-1 loading');
		} finally {
			app.unmount();
		}
	});

	test('any order of key changes and answers: every frame is loading or the current key’s current answer', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(op, {minLength: 1, maxLength: 25}), async ops => {
				const loads = {calls: [] as Call[], latest: new Map<number, number>()};
				const settledCalls = new Map<number, boolean>();
				const app = render(<Probe k={0} loads={loads} />);
				try {
					await settled();
					for (const step of ops) {
						if (step.kind === 'key') app.rerender(<Probe k={step.key} loads={loads} />);
						else {
							const open = loads.calls.filter(call => !settledCalls.has(call.serial));
							const call = open[step.pick % Math.max(1, open.length)];
							if (call) {
								settledCalls.set(call.serial, step.ok);
								call.settle(step.ok);
							}
						}
						await settled();
					}
					const frames = app.frames.map(frame => stripVTControlCharacters(frame));
					const bad = frames.map(frame => [frame, violation(frame)] as const).find(([, problem]) => problem);
					expect(bad ? `${bad[1]}: ${bad[0]}` : '').toBe('');
					// Once every load is answered, the screen shows the current key's last answer.
					for (const call of loads.calls) if (!settledCalls.has(call.serial)) call.settle(true);
					await settled();
					const last = stripVTControlCharacters(app.lastFrame() ?? '');
					const [, key, latest] = /key=(\d+) latest=(-?\d+)/.exec(last)!;
					if (settledCalls.get(Number(latest)) === false) expect(last).toMatch(new RegExp(`^key=${key} latest=${latest} error=.*failed ${key}#${latest}`));
					else expect(last).toBe(`key=${key} latest=${latest} value=${key}#${latest}`);
				} finally {
					app.unmount();
				}
			}),
			{numRuns: 150},
		);
	});
});
