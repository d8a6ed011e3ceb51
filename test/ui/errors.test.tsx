import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {stripVTControlCharacters} from 'node:util';
import {describe, expect, test} from 'vitest';
import {LifeboatError} from '../../source/core/errors.js';
import {describeError} from '../../source/ui/describe-error.js';
import {ErrorBoundary} from '../../source/ui/ErrorBoundary.js';
import {waitForFrame} from './harness.js';

function Broken(): never {
	throw new Error('boom\n    at somewhere (file.js:1:1)');
}

describe('errors', () => {
	test('a render error becomes one red line and a call to onFatal, never a stack trace', async () => {
		const fatals: unknown[] = [];
		const original = console.error;
		console.error = () => undefined; // React reports caught render errors on the console.
		try {
			const app = render(
				<ErrorBoundary onFatal={error => fatals.push(error)}>
					<Broken />
				</ErrorBoundary>,
			);
			const frame = await waitForFrame(() => stripVTControlCharacters(app.lastFrame() ?? ''), '✗');
			expect(frame).toBe('✗ internal error: boom — the console stopped (LIFEBOAT_DEBUG=1 for details)');
			expect(fatals).toHaveLength(1);
			app.unmount();
		} finally {
			console.error = original;
		}
	});

	test('operator errors keep their message; anything else is an internal error, one line', () => {
		expect(describeError(new LifeboatError('destination', 'Writing backup: permission denied'))).toBe('Writing backup: permission denied');
		expect(describeError(new TypeError('x is undefined\nstack'))).toBe('internal error: x is undefined');
		expect(describeError('weird')).toBe('internal error: weird');
		const ok = render(<Text>fine</Text>);
		expect(ok.lastFrame()).toBe('fine');
		ok.unmount();
	});
});
