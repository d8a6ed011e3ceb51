import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		testTimeout: 120_000,
		hookTimeout: 120_000,
		// Tests spawn the built CLI and write real archives; two cores, so keep it modest.
		maxWorkers: 2,
	},
});
