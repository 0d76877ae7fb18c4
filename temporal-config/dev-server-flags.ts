// Prints the `temporal server start-dev` flags derived from this folder, one argument per line, for
// scripts/lib.sh. On an existing database file the server ignores --search-attribute for a namespace
// it already has, so register-cli.ts registers them again through the operator service.
import { DEV_SERVER_DYNAMIC_CONFIG } from './dynamic-config';
import { CLI_TYPE_NAMES, SEARCH_ATTRIBUTES } from './search-attributes';

const args: string[] = [];
for (const attribute of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${attribute.name}=${CLI_TYPE_NAMES[attribute.type]}`);
for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
process.stdout.write(args.join('\n') + '\n');
