import {Text} from 'ink';
import {Frame} from '../components/Frame.js';
import {useConsole} from '../console-context.js';
import {useCommands} from '../keys.js';

export function RestoreWizard({backupPath}: {backupPath?: string | undefined}) {
	const {nav} = useConsole();
	useCommands({back: nav.home});
	return (
		<Frame title="Restore" commands={['back']}>
			<Text>Restore is not in this build yet{backupPath ? ` (${backupPath})` : ''}.</Text>
		</Frame>
	);
}
