import {Box, Text, useApp, useInput} from 'ink';
import {useMemo} from 'react';
import {formatCount} from '../core/format.js';
import {countCategories, listTenants, openGateway} from '../core/store/gateway-store.js';
import {categorySpec} from '../core/store/schema.js';
import type {GatewayChoice} from './prepare-gateway.js';

/** Minimal home screen: gateway summary and counts per category. */
export function App({gateway}: {gateway: GatewayChoice}) {
	const {exit} = useApp();
	const summary = useMemo(() => {
		const store = openGateway(gateway.dataDir);
		try {
			return {tenants: listTenants(store), counts: countCategories(store)};
		} finally {
			store.close();
		}
	}, [gateway.dataDir]);
	useInput(input => {
		if (input === 'q') exit();
	});
	return (
		<Box flexDirection="column">
			<Text bold>Lifeboat · {gateway.dataDir}{gateway.isDemo ? ' (demo)' : ''}</Text>
			<Text>{summary.tenants.length} tenants</Text>
			{summary.counts.map(count => (
				<Text key={count.category}>
					{categorySpec(count.category).label.padEnd(22)} {formatCount(count.count)}
				</Text>
			))}
			<Text dimColor>q quit</Text>
		</Box>
	);
}
