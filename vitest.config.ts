import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		testTimeout: 120_000,
		hookTimeout: 120_000,
		// Tests spawn the built CLI and write real archives; two cores, so keep it modest.
		maxWorkers: 2,
		projects: [
			{
				extends: true,
				test: {name: 'engine', include: ['test/*.test.{ts,tsx}', 'test/destinations/**/*.test.ts'], sequence: {groupOrder: 0}},
			},
			{
				// The console tests wait on rendered frames: they run after the engine tests, one file
				// at a time, so a gzip-heavy engine test never starves a terminal of CPU.
				extends: true,
				test: {name: 'console', include: ['test/ui/**/*.test.{ts,tsx}', 'test/tmux/**/*.test.ts'], fileParallelism: false, sequence: {groupOrder: 1}},
			},
		],
	},
});
